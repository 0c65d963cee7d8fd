import {
  type Bus,
  type BusRecord,
  type CommitOffset,
  type CommittedOffset,
  type ConsumerOptions,
  type GroupConsumer,
  OffsetTracker,
  type Producer,
  type TopicPartition,
} from '@kraul/bus';
import {
  deadLetterFor,
  decodeMessage,
  encodeMessage,
  KraulError,
  type Message,
  type TopicNames,
  type TopicRole,
  trustedMessage,
} from '@kraul/protocol';

/** A decoded message with the record it came from. Complete it once it is fully handled. */
export interface Delivery<M extends Message = Message> {
  message: M;
  record: BusRecord;
}

/** Just what a consumer logs; satisfied by the telemetry package's logger. */
export interface ConsumerLog {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface TopicConsumerOptions<M extends Message> {
  bus: Bus;
  /** Used for dead letters; the caller owns and closes it. */
  producer: Producer;
  topics: TopicNames;
  /** The topic this consumer reads; decides which message types are valid. */
  role: TopicRole;
  groupId: string;
  log: ConsumerLog;
  /** Handles the valid messages of one partition batch. Every delivery must be completed, now or later. */
  onMessages(deliveries: Delivery<M>[], consumer: TopicConsumer<M>): Promise<void> | void;
  /**
   * Prepares the role for new partitions (opens their stores). When it throws, the role cannot
   * serve them: their records are neither handed to the role nor committed (so whoever owns
   * them next gets them), and the consumer fails with a PartitionSetupError (see `onFailure`).
   * `committed` is what their previous owner committed (offset and metadata: see
   * `commitMetadata`); an empty list when the commits could not be read.
   */
  onAssigned?(partitions: TopicPartition[], committed: CommittedOffset[]): Promise<void> | void;
  /**
   * State of a partition to store with its commits (Kafka commit metadata, under 4 KB), so the
   * partition's next owner receives it in `onAssigned`. Called at every commit and at revocation.
   */
  commitMetadata?(partition: TopicPartition): string | undefined;
  /** Called before partitions are given up; finish or drop their work, then the consumer commits what is complete. */
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Called once, with the first failure the member cannot go on from (an `onAssigned` that
   * threw). The role should stop: a member that keeps its partitions without serving them
   * would hold them from the rest of the group.
   */
  onFailure?(error: PartitionSetupError): void;
  /** Called for every record sent to the dead-letter topic. */
  onDeadLetter?(record: BusRecord, error: unknown): void;
  /**
   * Longest a completed record waits for its offset to be committed; commits happen at most
   * this often, and only when something was completed. Producers upstream read the group's
   * lag from commits (the frontier feeds on it), so this is also their reaction time.
   * Default: 200 ms.
   */
  commitIntervalMs?: number;
  consumer?: Omit<ConsumerOptions, 'groupId' | 'topics'>;
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * A role could not take partitions it was assigned: its store or partition handler failed to
 * start. Fatal for the role; the message names the partitions and the cause (with its path).
 */
export class PartitionSetupError extends KraulError {
  constructor(groupId: string, partitions: readonly TopicPartition[], cause: unknown) {
    const names = partitions.map((tp) => tpKey(tp.topic, tp.partition)).join(', ');
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'runtime.partition_setup_failed',
      `${reason} (group ${groupId} could not take ${names})`,
      {
        groupId,
        partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)),
        ...(cause instanceof KraulError ? cause.context : {}),
      },
      { cause },
    );
  }
}

/**
 * A group member for one kraul topic: decodes each record, sends what does not decode to
 * the dead-letter topic (and moves on), hands the rest to the role, and commits offsets only
 * up to the lowest record not yet completed — so a crash redelivers, never loses.
 */
export class TopicConsumer<M extends Message = Message> {
  readonly groupId: string;
  readonly #options: TopicConsumerOptions<M>;
  readonly #consumer: GroupConsumer;
  readonly #tracker = new OffsetTracker();
  readonly #owned = new Map<string, TopicPartition>();
  /** Assigned partitions the role could not set up: their records are not taken. */
  readonly #unserved = new Set<string>();
  #failure: PartitionSetupError | undefined;
  /** The last offset known committed per owned partition, so a revocation can store metadata again. */
  readonly #committedOffsets = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #commitFailures = 0;
  #committing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: TopicConsumerOptions<M>) {
    this.#options = options;
    this.groupId = options.groupId;
    this.#consumer = options.bus.consumer({
      ...options.consumer,
      groupId: options.groupId,
      topics: [options.topics[options.role]],
    });
  }

  async start(): Promise<void> {
    await this.#consumer.start({
      onAssigned: async (partitions) => {
        for (const tp of partitions) this.#owned.set(tpKey(tp.topic, tp.partition), tp);
        let committed: CommittedOffset[] = [];
        if (this.#options.commitMetadata) {
          try {
            committed = await this.#consumer.committed(partitions);
            for (const entry of committed) {
              if (entry.offset >= 0)
                this.#committedOffsets.set(tpKey(entry.topic, entry.partition), entry.offset);
            }
          } catch (error) {
            this.#options.log.warn(
              { err: error, group: this.groupId, partitions: partitions.map((tp) => tp.partition) },
              'could not read what the previous owner committed; going on without its state',
            );
          }
        }
        try {
          await this.#options.onAssigned?.(partitions, committed);
        } catch (error) {
          this.#refuse(partitions, error);
        }
      },
      onRevoked: async (partitions) => {
        try {
          await this.#options.onRevoked?.(partitions);
          await this.commit(partitions, true);
        } finally {
          // Whatever failed above, ownership ends here: a partition still tracked would refuse
          // its redelivered offsets if it came back, and one still owned would make every
          // later commit (all or nothing) fail.
          for (const tp of partitions) {
            this.#tracker.drop(tp);
            this.#owned.delete(tpKey(tp.topic, tp.partition));
            this.#unserved.delete(tpKey(tp.topic, tp.partition));
            this.#committedOffsets.delete(tpKey(tp.topic, tp.partition));
          }
        }
      },
      onBatch: async (batch) => {
        if (this.#unserved.has(tpKey(batch.topic, batch.partition))) return;
        const deliveries: Delivery<M>[] = [];
        for (const record of batch.records) {
          this.#tracker.track(record, record.offset);
          try {
            // Records this process produced on the in-memory bus come decoded: validated once, by types.
            const message = (trustedMessage(record.decoded, this.#options.role) ??
              decodeMessage(record.value, this.#options.role, record)) as M;
            deliveries.push({ message, record });
          } catch (error) {
            await this.#deadLetter(record, error);
            this.#tracker.complete(record, record.offset);
            this.#scheduleCommit();
          }
        }
        if (deliveries.length > 0) await this.#options.onMessages(deliveries, this);
      },
    });
  }

  /** The failure the member cannot go on from, if one happened. */
  get failure(): PartitionSetupError | undefined {
    return this.#failure;
  }

  /** Partitions whose setup failed: never handed to the role, never committed, paused. */
  #refuse(partitions: TopicPartition[], cause: unknown): void {
    for (const tp of partitions) {
      this.#owned.delete(tpKey(tp.topic, tp.partition));
      this.#unserved.add(tpKey(tp.topic, tp.partition));
    }
    this.#consumer.pause(partitions);
    const error = new PartitionSetupError(this.groupId, partitions, cause);
    // A role that handles its failure reports it (and stops); otherwise it is logged here.
    if (this.#failure !== undefined || this.#options.onFailure === undefined)
      this.#options.log.error({ err: error, group: this.groupId }, 'partitions could not be set up');
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#options.onFailure?.(error);
  }

  /** Marks a delivery fully handled; its offset becomes committable once all before it are. */
  complete(delivery: Delivery<M> | BusRecord): void {
    const record = 'record' in delivery ? delivery.record : delivery;
    if (!this.#owned.has(tpKey(record.topic, record.partition))) return;
    this.#tracker.complete(record, record.offset);
    this.#scheduleCommit();
  }

  #scheduleCommit(delayMs = this.#options.commitIntervalMs ?? 200): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.commit().then(
        () => {
          this.#commitFailures = 0;
        },
        (error) => {
          // Retried with backoff: a partition that goes idle after a failed commit would
          // otherwise keep its lag, and whatever waits for the group to catch up would wait forever.
          this.#commitFailures += 1;
          const level = this.#commitFailures === 1 ? 'warn' : 'error';
          if (this.#commitFailures === 1 || this.#commitFailures % 10 === 0) {
            this.#options.log[level](
              { err: error, group: this.groupId, failures: this.#commitFailures },
              'commit failed; retrying',
            );
          }
          this.#scheduleCommit(Math.min(10_000, 200 * 2 ** this.#commitFailures));
        },
      );
    }, delayMs);
    this.#timer.unref();
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.#consumer.pause(partitions);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.#consumer.resume(partitions);
  }

  /** See GroupConsumer.commitsBeforeHandover. */
  get commitsBeforeHandover(): boolean {
    return this.#consumer.commitsBeforeHandover;
  }

  isPaused(partition: TopicPartition): boolean {
    return this.#consumer.isPaused(partition);
  }

  assignment(): TopicPartition[] {
    return this.#consumer.assignment();
  }

  /**
   * Commits what is complete on the given (default: all owned) partitions. Commits never
   * overlap. `final` (revocation) commits even what has not moved, so the partition's
   * metadata reaches its next owner.
   */
  commit(partitions: readonly TopicPartition[] = [...this.#owned.values()], final = false): Promise<void> {
    const run = this.#committing.then(async () => {
      const offsets: CommitOffset[] = [];
      for (const tp of partitions) {
        const key = tpKey(tp.topic, tp.partition);
        if (this.#unserved.has(key)) continue;
        const offset =
          this.#tracker.committable(tp) ??
          (final && this.#options.commitMetadata ? this.#committedOffsets.get(key) : undefined);
        if (offset === undefined) continue;
        const metadata = this.#options.commitMetadata?.(tp);
        offsets.push({ ...tp, offset, ...(metadata ? { metadata } : {}) });
      }
      if (offsets.length === 0) return;
      await this.#consumer.commit(offsets);
      for (const { offset, metadata: _, ...tp } of offsets) {
        this.#tracker.markCommitted(tp, offset);
        this.#committedOffsets.set(tpKey(tp.topic, tp.partition), offset);
      }
    });
    this.#committing = run.catch(() => {});
    return run;
  }

  /** Records received and not yet completed, per owned partition. */
  pending(partition: TopicPartition): number {
    return this.#tracker.pending(partition);
  }

  /** Leaves the group: the role's onRevoked runs, completed work is committed, others take over. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#consumer.close();
  }

  async #deadLetter(record: BusRecord, error: unknown): Promise<void> {
    const { producer, topics, log, onDeadLetter } = this.#options;
    log.warn(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        err: error,
        group: this.groupId,
      },
      'invalid record sent to the dead-letter topic',
    );
    onDeadLetter?.(record, error);
    const letter = deadLetterFor(record, error, this.groupId);
    try {
      await producer.send([{ topic: topics.dlq, key: record.key, value: encodeMessage(letter) }]);
    } catch (sendError) {
      // The record would never decode on a retry either: left uncompleted, it would hold the
      // partition's commits (and the lag the producers upstream feed on) until a rebalance.
      log.error(
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          err: sendError,
          group: this.groupId,
        },
        'invalid record skipped: the dead-letter topic refused it',
      );
    }
  }
}

export { tpKey };
