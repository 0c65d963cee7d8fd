import { ConnectionPool, Consumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from '../consumer-options.ts';
import { BusError } from '../errors.ts';
import type {
  CommitOffset,
  ConsumerHandlers,
  ConsumerOptions,
  GroupConsumer,
  PartitionBatch,
  TopicPartition,
} from '../types.ts';
import { commitRejected, describeClientError, hasKafkaError, isUnknownTopic } from './errors.ts';
import { GroupRequests } from './group-requests.ts';
import { clientOptions, connectionOptions, type ResolvedKafkaBusOptions } from './options.ts';
import { PartitionFetcher } from './partition-fetcher.ts';
import { PartitionStream, partitionKey } from './partition-stream.ts';
import { StartPositions } from './start-positions.ts';

type MemberState = 'new' | 'joining' | 'member' | 'closing' | 'closed';

/** Fetch sizes as in Kafka's Java consumer (fetch.max.bytes, max.partition.fetch.bytes). */
const fetchMaxBytes = 50 * 1024 * 1024;
const fetchMaxBytesPerPartition = 1024 * 1024;

/** The coordinator's ways of refusing a commit from a member whose generation is over or ending. */
const generationErrors = [
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
];

/**
 * A consumer group member on Kafka's classic (eager) protocol. @platformatic/kafka runs the
 * membership (join, sync, heartbeats); kraul fetches each assigned partition itself, so a
 * paused partition stops at the broker while the others flow. Revocation runs before every
 * JoinGroup: the client asks for the subscription metadata right before it sends one, and
 * that hook waits until the partitions are stopped and `onRevoked` has settled, exactly
 * where Kafka's Java client calls `onPartitionsRevoked`.
 */
export class KafkaGroupConsumer implements GroupConsumer {
  readonly groupId: string;
  readonly #topics: string[];
  readonly #bus: ResolvedKafkaBusOptions;
  readonly #options: ResolvedConsumerOptions;
  readonly #onClosed: (consumer: KafkaGroupConsumer) => void;
  readonly #owned = new Map<string, PartitionStream>();
  #state: MemberState = 'new';
  #client: Consumer | undefined;
  #requests: GroupRequests | undefined;
  #fetcher: PartitionFetcher | undefined;
  #positions: StartPositions | undefined;
  #handlers: ConsumerHandlers | undefined;
  /** Assignments and revocations, one after the other. */
  #membership: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #rejoinTimer: NodeJS.Timeout | undefined;

  constructor(
    bus: ResolvedKafkaBusOptions,
    options: ConsumerOptions,
    onClosed: (consumer: KafkaGroupConsumer) => void,
  ) {
    this.#options = resolveConsumerOptions(options);
    this.groupId = this.#options.groupId;
    this.#topics = this.#options.topics;
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
    const { sessionTimeoutMs, heartbeatIntervalMs, maxWaitMs } = this.#options;
    const base = clientOptions(this.#bus, 'consumer');
    const clientId = this.#options.clientId ?? base.clientId;
    const client = new Consumer({
      ...base,
      clientId,
      groupId: this.groupId,
      autocommit: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: Math.max(sessionTimeoutMs, this.#bus.rebalanceTimeoutMs),
      maxWaitTime: maxWaitMs,
      protocolsMetadata: () => this.#beforeJoin(),
    });
    this.#client = client;
    this.#requests = new GroupRequests(client, this.#bus.retries, this.#bus.retryDelayMs);
    const positions = new StartPositions(client, {
      startFrom: this.#options.startFrom,
      retryDelayMs: this.#bus.retryDelayMs,
      running: () => this.#running(),
    });
    this.#positions = positions;
    this.#fetcher = new PartitionFetcher(
      client,
      new ConnectionPool(`${clientId}-fetch`, connectionOptions(this.#bus)),
      {
        maxWaitMs,
        maxBytes: fetchMaxBytes,
        maxBytesPerPartition: fetchMaxBytesPerPartition,
        retryDelayMs: this.#bus.retryDelayMs,
        streams: () => this.#owned.values(),
        onOutOfRange: (stream) => void positions.reset(stream),
      },
    );
    client.on('consumer:group:join', (payload) => this.#joined(payload));
    // The client emits 'error' when it could not rejoin after a rebalance and stopped heartbeating.
    client.on('error', () => this.#scheduleRejoin());
    try {
      await this.#assertTopicsExist(client);
      client.topics.trackAll(...this.#topics);
      this.#fetcher.start();
      await client.joinGroup({});
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
    for (const tp of partitions) this.#owned.get(partitionKey(tp))?.pause();
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#owned.get(partitionKey(tp))?.resume();
  }

  isPaused(partition: TopicPartition): boolean {
    return this.#owned.get(partitionKey(partition))?.paused ?? false;
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    const requests = this.#requests;
    if (requests === undefined || this.#state === 'new' || this.#state === 'closed') {
      throw new BusError(
        'bus.consumer_closed',
        `a member of group ${this.groupId} that is not running cannot commit`,
        {
          groupId: this.groupId,
        },
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
      await requests.commit(offsets);
    } catch (error) {
      const context = {
        offsets: offsets.map(({ topic, partition, offset }) => `${topic}:${partition}@${offset}`),
      };
      if (generationErrors.some((name) => hasKafkaError(error, name)))
        throw commitRejected(this.groupId, error, context);
      throw new BusError(
        'bus.commit_failed',
        `group ${this.groupId} could not commit: ${describeClientError(error)}`,
        { groupId: this.groupId, ...context },
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

  /** Leaves the group at once (the others rebalance now, not after a session timeout) and disconnects. */
  async #shutDown(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#rejoinTimer);
    await this.#fetcher?.stop();
    const client = this.#client;
    if (client === undefined) return;
    // A failed LeaveGroup only means the others wait for the session timeout instead.
    await new Promise<void>((resolve) => client.leaveGroup(false, () => resolve()));
    await client.close().catch(() => {});
  }

  /**
   * The client's subscription-metadata hook, awaited before each JoinGroup: give everything up
   * first. The client stopped heartbeating when it decided to rejoin; heartbeats of our own keep
   * the session alive meanwhile, so a revocation (or an onAssigned it queues behind) may take
   * longer than the session timeout, up to the rebalance timeout.
   */
  async #beforeJoin(): Promise<Buffer> {
    const stopHeartbeats = this.#requests?.keepSessionAlive(this.#options.heartbeatIntervalMs) ?? (() => {});
    try {
      await this.#enqueue(() => this.#revokeAll());
    } finally {
      stopHeartbeats();
    }
    return Buffer.alloc(0);
  }

  #joined(payload: ConsumerGroupJoinPayload): void {
    const partitions = (payload.assignments ?? []).flatMap(({ topic, partitions }) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    void this.#enqueue(() => this.#assign(partitions));
  }

  async #assign(partitions: TopicPartition[]): Promise<void> {
    if (!this.#running()) return;
    const streams = partitions.map(
      (tp) =>
        new PartitionStream(tp, {
          maxBatchRecords: this.#options.maxBatchRecords,
          deliver: (batch) => this.#deliver(batch),
          wantsRecords: () => this.#fetcher?.notify(),
        }),
    );
    for (const stream of streams) this.#owned.set(stream.key, stream);
    // Looked up beside onAssigned, not inside this task: a revocation must never wait on a
    // coordinator that is slow to answer. A stream fetches only once its position is known.
    void this.#positions?.lookUp(streams);
    if (partitions.length > 0) {
      await this.#callHandler('onAssigned', partitions, () => this.#handlers?.onAssigned?.(partitions));
    }
    for (const stream of streams) stream.markReady();
  }

  /**
   * Stops every owned partition, waits for the batches in hand, then calls `onRevoked`;
   * ownership ends only after it settled, so it can still commit what it finished.
   */
  async #revokeAll(): Promise<void> {
    const streams = [...this.#owned.values()];
    if (streams.length === 0) return;
    try {
      await Promise.all(streams.map((stream) => stream.revoke()));
      const partitions = streams.map(({ topic, partition }) => ({ topic, partition }));
      await this.#callHandler('onRevoked', partitions, () => this.#handlers?.onRevoked?.(partitions));
    } finally {
      for (const stream of streams) this.#owned.delete(stream.key);
    }
  }

  #running(): boolean {
    return this.#state === 'joining' || this.#state === 'member';
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

  /** The client gave up rejoining: try again until it works or the member closes. */
  #scheduleRejoin(): void {
    if (!this.#running()) return;
    clearTimeout(this.#rejoinTimer);
    this.#rejoinTimer = setTimeout(() => {
      const client = this.#client;
      if (client === undefined || !this.#running()) return;
      client.joinGroup({}).catch(() => this.#scheduleRejoin());
    }, this.#bus.retryDelayMs);
  }

  async #assertTopicsExist(client: Consumer): Promise<void> {
    try {
      await client.metadata({ topics: this.#topics });
    } catch (error) {
      if (!isUnknownTopic(error)) throw error;
      throw new BusError(
        'bus.unknown_topic',
        `group ${this.groupId} subscribes to a topic that does not exist: ${describeClientError(error)}`,
        { groupId: this.groupId, topics: this.#topics },
        error,
      );
    }
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#membership.then(task);
    this.#membership = run.catch(() => {});
    return run;
  }
}
