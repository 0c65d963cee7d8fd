import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from '../consumer-options.ts';
import { BusError } from '../errors.ts';
import type { ResolvedKafkaBusOptions } from '../kafka/options.ts';
import type {
  CommitOffset,
  CommittedOffset,
  ConsumerHandlers,
  ConsumerOptions,
  GroupConsumer,
  PartitionBatch,
  TopicPartition,
} from '../types.ts';
import { commitRejected, describeClientError, hasKafkaError } from './errors.ts';
import { OwnedPartition, partitionKey } from './owned-partition.ts';
import { toBusRecord } from './records.ts';
import { TopicLookup } from './topic-lookup.ts';

type MemberState = 'new' | 'joining' | 'member' | 'closing' | 'closed';

/** The coordinator's ways of refusing a commit from a member whose generation is over or ending. */
const generationErrors = [
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
];

/** Partitions of one fetch handled side by side: a slow partition does not hold up the others of its fetch. */
const partitionsConsumedConcurrently = 32;

/**
 * A consumer group member on kafkajs. kafkajs runs the membership (classic protocol, eager
 * rebalancing only: it knows neither cooperative-sticky nor KIP-848) and the fetches; this
 * class splits its batches to `maxBatchRecords`, pauses per partition, commits only what the
 * caller commits, and calls `onAssigned` and `onRevoked` incrementally, as the default bus does.
 *
 * When kafkajs reports a rebalance, every owned partition is held (the batch in hand finishes,
 * no other starts); once the new assignment is known, only the partitions that changed owner
 * are revoked or assigned, and the ones this member keeps go on from where their deliveries
 * stopped. kafkajs has no hook before it rejoins, so `onRevoked` runs after the group moved
 * on: what it commits still counts (the coordinator takes commits of the new generation), but
 * the next owner may already have read from the previous commit, so some records are
 * delivered twice (at-least-once holds). kafkajs heartbeats only between batches: a handler
 * that takes longer than the session timeout costs this member its partitions.
 */
export class KafkajsGroupConsumer implements GroupConsumer {
  readonly groupId: string;
  /** kafkajs has no hook before it rejoins: `onRevoked` runs once the next owner may have read. */
  readonly commitsBeforeHandover = false;
  readonly #topics: string[];
  readonly #kafka: Kafka;
  readonly #bus: ResolvedKafkaBusOptions;
  readonly #options: ResolvedConsumerOptions;
  readonly #onClosed: (consumer: KafkajsGroupConsumer) => void;
  readonly #owned = new Map<string, OwnedPartition>();
  #state: MemberState = 'new';
  #client: Consumer | undefined;
  #handlers: ConsumerHandlers | undefined;
  /** Assignments and revocations, one after the other. */
  #membership: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #joined: (() => void) | undefined;
  #crashed: ((error: unknown) => void) | undefined;
  /** Reads committed offsets (kafkajs asks an admin client for them). */
  #offsets: TopicLookup | undefined;

  constructor(
    kafka: Kafka,
    bus: ResolvedKafkaBusOptions,
    options: ConsumerOptions,
    onClosed: (consumer: KafkajsGroupConsumer) => void,
  ) {
    this.#options = resolveConsumerOptions(options);
    this.groupId = this.#options.groupId;
    this.#topics = this.#options.topics;
    this.#kafka = kafka;
    this.#bus = bus;
    this.#onClosed = onClosed;
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    if (this.#state !== 'new') {
      throw new BusError('bus.consumer_started', `a member of group ${this.groupId} can start only once`, {
        groupId: this.groupId,
      });
    }
    this.#state = 'joining';
    this.#handlers = handlers;
    const joinDeadline = Date.now() + this.#bus.requestTimeoutMs;
    const { sessionTimeoutMs, heartbeatIntervalMs, maxWaitMs } = this.#options;
    const client = this.#kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: Math.max(sessionTimeoutMs, this.#bus.rebalanceTimeoutMs),
      maxWaitTimeInMs: maxWaitMs,
      allowAutoTopicCreation: false,
      retry: {
        retries: this.#bus.retries,
        initialRetryTime: this.#bus.retryDelayMs,
        // kafkajs gives up a join at the first retriable refusal (a coordinator still loading
        // its groups, as on a cluster that just started) and asks whether to start over: a
        // running member always does, one still joining until its join deadline.
        restartOnFailure: async () =>
          this.#state === 'member' || (this.#state === 'joining' && Date.now() < joinDeadline),
      },
    });
    this.#client = client;
    const joined = new Promise<void>((resolve, reject) => {
      this.#joined = resolve;
      this.#crashed = reject;
    });
    client.on(client.events.GROUP_JOIN, ({ payload }) => this.#onGroupJoin(payload.memberAssignment));
    client.on(client.events.REBALANCING, () => {
      void this.#enqueue(() => this.#holdAll());
    });
    client.on(client.events.CRASH, ({ payload }) => this.#onCrash(payload.error, payload.restart));
    try {
      await this.#assertTopicsExist();
      await client.connect();
      await client.subscribe({ topics: this.#topics, fromBeginning: this.#options.startFrom === 'earliest' });
      await client.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      await joined;
      await this.#membership;
    } catch (error) {
      await this.#shutDown();
      if (error instanceof BusError) throw error;
      throw new BusError(
        'bus.join_failed',
        `could not join group ${this.groupId}: ${describeClientError(error)}`,
        { groupId: this.groupId, topics: this.#topics },
        error,
      );
    }
    if (this.#state === 'joining') this.#state = 'member';
  }

  pause(partitions: readonly TopicPartition[]): void {
    const owned = this.#ownedOf(partitions);
    for (const partition of owned) partition.paused = true;
    if (owned.length > 0) this.#client?.pause(byTopic(owned));
  }

  resume(partitions: readonly TopicPartition[]): void {
    const owned = this.#ownedOf(partitions);
    for (const partition of owned) partition.paused = false;
    if (owned.length > 0) this.#client?.resume(byTopic(owned));
  }

  isPaused(partition: TopicPartition): boolean {
    return this.#owned.get(partitionKey(partition))?.paused ?? false;
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.#state === 'new' || this.#state === 'closed') {
      throw new BusError(
        'bus.consumer_closed',
        `a member of group ${this.groupId} that is not running cannot commit`,
        { groupId: this.groupId },
      );
    }
    // All or nothing: a commit that names one partition this member lost changes nothing.
    for (const { topic, partition, offset } of offsets) {
      const context = { groupId: this.groupId, topic, partition, offset };
      if (!this.#owned.has(partitionKey({ topic, partition }))) {
        throw new BusError(
          'bus.commit_rejected',
          `group ${this.groupId} cannot commit ${topic}:${partition}: this member does not own it (rebalanced away)`,
          context,
        );
      }
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new BusError(
          'bus.invalid_offset',
          `cannot commit offset ${offset} of ${topic}:${partition}`,
          context,
        );
      }
    }
    if (offsets.length === 0) return;
    try {
      await client.commitOffsets(
        offsets.map(({ topic, partition, offset, metadata }) => ({
          topic,
          partition,
          offset: String(offset),
          ...(metadata === undefined ? {} : { metadata }),
        })),
      );
    } catch (error) {
      const context = {
        offsets: offsets.map(({ topic, partition, offset }) => `${topic}:${partition}@${offset}`),
      };
      if (generationErrors.some((name) => hasKafkaError(error, name))) {
        throw commitRejected(this.groupId, error, context);
      }
      throw new BusError(
        'bus.commit_failed',
        `group ${this.groupId} could not commit: ${describeClientError(error)}`,
        { groupId: this.groupId, ...context },
        error,
      );
    }
  }

  async committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    if (this.#state === 'new' || this.#state === 'closed') {
      throw new BusError(
        'bus.consumer_closed',
        `a member of group ${this.groupId} that is not running cannot read commits`,
        { groupId: this.groupId },
      );
    }
    if (partitions.length === 0) return [];
    try {
      this.#offsets ??= new TopicLookup(this.#kafka.admin());
      const topics = [...new Set(partitions.map((tp) => tp.topic))];
      const fetched = await this.#offsets.committed(this.groupId, topics);
      return partitions.map(({ topic, partition }) => {
        const found = fetched.get(partitionKey({ topic, partition }));
        const offset = found === undefined ? -1 : found.offset;
        return { topic, partition, offset, metadata: offset < 0 ? null : (found?.metadata ?? null) };
      });
    } catch (error) {
      throw new BusError(
        'bus.committed_failed',
        `group ${this.groupId} could not read its committed offsets: ${describeClientError(error)}`,
        { groupId: this.groupId, partitions: partitions.map(partitionKey) },
        error,
      );
    }
  }

  assignment(): TopicPartition[] {
    return [...this.#owned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  close(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'closed';
      this.#onClosed(this);
      return Promise.resolve();
    }
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing ??= this.#revokeAndLeave();
    return this.#closing;
  }

  async #revokeAndLeave(): Promise<void> {
    this.#state = 'closing';
    await this.#enqueue(() => this.#revokeAll());
    await this.#shutDown();
    this.#onClosed(this);
  }

  /** Leaves the group at once (kafkajs sends LeaveGroup on disconnect) and disconnects. */
  async #shutDown(): Promise<void> {
    this.#state = 'closed';
    await this.#client?.disconnect().catch(() => {});
    await this.#offsets?.close().catch(() => {});
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Wait for the assignment (onAssigned) or revocation under way to settle.
    await this.#membership;
    const owned = this.#owned.get(partitionKey(batch));
    if (owned === undefined) return;
    const records = batch.messages.map((message) => toBusRecord(batch.topic, batch.partition, message));
    const { maxBatchRecords } = this.#options;
    for (let start = 0; start < records.length; start += maxBatchRecords) {
      // A record not resolved is fetched again: after a resume, or by the next owner.
      if (!isRunning() || isStale() || !owned.deliverable() || this.#owned.get(owned.key) !== owned) return;
      const chunk = records.slice(start, start + maxBatchRecords);
      await owned.deliver(() =>
        this.#deliver({ topic: batch.topic, partition: batch.partition, records: chunk }),
      );
      resolveOffset(String(chunk.at(-1)!.offset));
      owned.nextOffset = chunk.at(-1)!.offset + 1;
      // kafkajs heartbeats only between batches: one per delivered chunk keeps a long batch in the group.
      await heartbeat();
    }
  }

  #onGroupJoin(memberAssignment: Record<string, number[]>): void {
    const partitions = Object.entries(memberAssignment).flatMap(([topic, list]) =>
      list.map((partition) => ({ topic, partition })),
    );
    void this.#enqueue(() => this.#reassign(partitions)).finally(() => this.#joined?.());
  }

  /** Holds every owned partition while the group rebalances. */
  async #holdAll(): Promise<void> {
    await Promise.all([...this.#owned.values()].map((partition) => partition.hold()));
  }

  /**
   * The new assignment is known: revokes what this member lost, lets what it keeps go on from
   * where it stopped (kafkajs itself would start over from the last commit), assigns what is new.
   */
  async #reassign(partitions: TopicPartition[]): Promise<void> {
    const assigned = new Set(partitions.map(partitionKey));
    const lost = [...this.#owned.values()].filter((partition) => !assigned.has(partition.key));
    await this.#revoke(lost);
    const kept: OwnedPartition[] = [];
    for (const partition of this.#owned.values()) {
      kept.push(partition);
      if (partition.nextOffset !== undefined) {
        this.#client?.seek({
          topic: partition.topic,
          partition: partition.partition,
          offset: String(partition.nextOffset),
        });
      }
      partition.release();
    }
    const keptKeys = new Set(kept.map((partition) => partition.key));
    await this.#assign(partitions.filter((tp) => !keptKeys.has(partitionKey(tp))));
  }

  #onCrash(error: Error, restart: boolean): void {
    if (this.#state === 'joining') {
      if (!restart) this.#crashed?.(error);
      return;
    }
    if (this.#state !== 'member' || restart) return;
    // kafkajs gave up for good: the member has left the group; what it owned is revoked.
    void this.#enqueue(() => this.#revokeAll());
    this.#bus.onHandlerError(
      new BusError(
        'bus.consumer_crashed',
        `the member of group ${this.groupId} stopped: ${describeClientError(error)}`,
        { groupId: this.groupId, topics: this.#topics },
        error,
      ),
    );
  }

  async #assign(partitions: TopicPartition[]): Promise<void> {
    if (!this.#running()) return;
    const owned = partitions.map((tp) => new OwnedPartition(tp));
    for (const partition of owned) this.#owned.set(partition.key, partition);
    // kafkajs keeps a pause across rebalances; a partition this member gets starts unpaused.
    if (owned.length > 0) this.#client?.resume(byTopic(owned));
    if (partitions.length > 0) {
      await this.#callHandler('onAssigned', partitions, () => this.#handlers?.onAssigned?.(partitions));
    }
    for (const partition of owned) partition.ready = true;
  }

  async #revokeAll(): Promise<void> {
    await this.#revoke([...this.#owned.values()]);
  }

  /**
   * Stops these partitions, waits for their batches in hand, then calls `onRevoked`; ownership
   * ends only after it settled, so it can still commit what it finished.
   */
  async #revoke(owned: OwnedPartition[]): Promise<void> {
    if (owned.length === 0) return;
    try {
      await Promise.all(owned.map((partition) => partition.revoke()));
      const partitions = owned.map(({ topic, partition }) => ({ topic, partition }));
      await this.#callHandler('onRevoked', partitions, () => this.#handlers?.onRevoked?.(partitions));
    } finally {
      for (const partition of owned) this.#owned.delete(partition.key);
    }
  }

  #running(): boolean {
    return this.#state === 'joining' || this.#state === 'member';
  }

  #ownedOf(partitions: readonly TopicPartition[]): OwnedPartition[] {
    return partitions.flatMap((tp) => {
      const owned = this.#owned.get(partitionKey(tp));
      return owned === undefined ? [] : [owned];
    });
  }

  async #deliver(batch: PartitionBatch): Promise<void> {
    try {
      await this.#handlers?.onBatch(batch);
    } catch (error) {
      this.#report('onBatch', error, {
        topic: batch.topic,
        partition: batch.partition,
        first: batch.records[0]?.offset,
        last: batch.records.at(-1)?.offset,
      });
    }
  }

  async #callHandler(
    name: 'onAssigned' | 'onRevoked',
    partitions: TopicPartition[],
    call: () => Promise<void> | void,
  ): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.#report(name, error, { partitions: partitions.map(partitionKey) });
    }
  }

  #report(handler: string, error: unknown, context: Record<string, unknown>): void {
    this.#bus.onHandlerError(
      new BusError(
        'bus.handler_failed',
        `${handler} of group ${this.groupId} failed`,
        { groupId: this.groupId, handler, ...context },
        error,
      ),
    );
  }

  /** On KRaft, kafkajs throws when it subscribes to a topic that does not exist: say which one first. */
  async #assertTopicsExist(): Promise<void> {
    const lookup = new TopicLookup(this.#kafka.admin());
    try {
      const missing = await lookup.missing(this.#topics);
      if (missing.length > 0) {
        throw new BusError(
          'bus.unknown_topic',
          `group ${this.groupId} subscribes to a topic that does not exist: ${missing.join(', ')}`,
          { groupId: this.groupId, topics: this.#topics },
        );
      }
    } finally {
      await lookup.close().catch(() => {});
    }
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#membership.then(task);
    this.#membership = run.catch(() => {});
    return run;
  }
}

function byTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}
