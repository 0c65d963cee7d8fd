import { ConnectionPool, Consumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from '../consumer-options.ts';
import { BusError } from '../errors.ts';
import type {
  CommitOffset,
  CommittedOffset,
  ConsumerHandlers,
  ConsumerOptions,
  GroupConsumer,
  PartitionBatch,
  TopicPartition,
} from '../types.ts';
import { ConsumerProtocolMember } from './consumer-protocol-member.ts';
import {
  commitRejected,
  describeClientError,
  hasKafkaError,
  isConfigurationError,
  isUnknownTopic,
} from './errors.ts';
import { GroupRequests, type GroupSession } from './group-requests.ts';
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
  'FENCED_MEMBER_EPOCH',
  'STALE_MEMBER_EPOCH',
  'UNKNOWN_MEMBER_ID',
];

/** The longest pause between two attempts to reach a group coordinator that does not answer. */
const maxRetryDelayMs = 2_000;

/**
 * A consumer group member on Kafka with incremental rebalancing: only the partitions that
 * change owner are revoked; a partition the member keeps keeps its stream, its position and
 * the work in hand. Two group protocols:
 * - `consumer` (KIP-848, brokers >= 4.0, the default): kraul sends ConsumerGroupHeartbeat
 *   itself (ConsumerProtocolMember); the coordinator assigns, and a partition that leaves is
 *   acknowledged only after `onRevoked` settled, so its work is committed first.
 * - `classic` with the cooperative-sticky assignor (older brokers): @platformatic/kafka runs
 *   join, sync and heartbeats; revocation runs in the hook the client awaits before each
 *   JoinGroup, for exactly the partitions the client no longer lists.
 * Either way kraul fetches each assigned partition itself, so a paused partition stops at the
 * broker while the others flow.
 */
export class KafkaGroupConsumer implements GroupConsumer {
  readonly groupId: string;
  readonly commitsBeforeHandover = true;
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
  #member: ConsumerProtocolMember | undefined;
  /** The latest assignment the group gave this member, not reconciled yet. */
  #target: TopicPartition[] | undefined;
  #failedJoins = 0;
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
    const classic = this.#bus.groupProtocol === 'classic';
    const client = new Consumer({
      ...base,
      clientId,
      groupId: this.groupId,
      autocommit: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: Math.max(sessionTimeoutMs, this.#bus.rebalanceTimeoutMs),
      maxWaitTime: maxWaitMs,
      protocols: [{ name: 'cooperative-sticky', version: 3 }],
      protocolsMetadata: () => this.#beforeJoin(),
    });
    this.#client = client;
    let session: GroupSession = {
      memberId: () => client.memberId ?? '',
      generation: () => client.generationId,
    };
    if (!classic) {
      const member = new ConsumerProtocolMember(client, () => this.#requests!, {
        topics: this.#topics,
        rebalanceTimeoutMs: Math.max(sessionTimeoutMs, this.#bus.rebalanceTimeoutMs),
        heartbeatIntervalMs,
        retryDelayMs: this.#bus.retryDelayMs,
        maxRetryDelayMs,
        owned: () => this.assignment(),
        onTarget: (partitions) => this.#reconcileTo(partitions),
        onLost: (reason) => this.#lost(reason),
        onRetrying: (error) => this.#retrying('heartbeat', error),
        onRecovered: (failures) => this.#recovered('heartbeat', failures),
      });
      this.#member = member;
      session = member;
    }
    this.#requests = new GroupRequests(
      client,
      this.groupId,
      session,
      this.#bus.retries,
      this.#bus.retryDelayMs,
    );
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
    if (classic) {
      client.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) =>
        this.#reconcileTo(
          (payload.assignments ?? []).flatMap(({ topic, partitions }) =>
            partitions.map((partition) => ({ topic, partition })),
          ),
        ),
      );
      // The client emits 'error' when it could not rejoin after a rebalance and stopped heartbeating.
      client.on('error', (error) => {
        this.#retrying('join', error);
        this.#scheduleRejoin();
      });
    }
    try {
      await this.#assertTopicsExist(client);
      client.topics.trackAll(...this.#topics);
      this.#fetcher.start();
      if (classic) await this.#joinClassic(client);
      else {
        await this.#applySessionSettings();
        await this.#member!.join();
      }
      await this.#membership;
    } catch (error) {
      await this.#shutDown();
      if (error instanceof BusError) throw error;
      throw new BusError(
        'bus.join_failed',
        `could not join group ${this.groupId}: ${describeClientError(error)}${
          !classic && isConfigurationError(error)
            ? ' (the consumer group protocol needs Kafka >= 4.0 with group.coordinator.rebalance.protocols including consumer; use the classic protocol on older brokers)'
            : classic && hasKafkaError(error, 'INVALID_SESSION_TIMEOUT')
              ? ` (the brokers refuse a ${sessionTimeoutMs} ms session: raise the session timeout to at least their group.min.session.timeout.ms, 6 s by default, or lower that setting)`
              : ''
        }`,
        { groupId: this.groupId, topics: this.#topics, groupProtocol: this.#bus.groupProtocol },
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

  async committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    const requests = this.#requests;
    if (requests === undefined || this.#state === 'closed') {
      throw new BusError(
        'bus.consumer_closed',
        `a member of group ${this.groupId} that is not running cannot read commits`,
        {
          groupId: this.groupId,
        },
      );
    }
    if (partitions.length === 0) return [];
    try {
      return await requests.committed(partitions);
    } catch (error) {
      throw new BusError(
        'bus.committed_failed',
        `group ${this.groupId} could not read its committed offsets: ${describeClientError(error)}`,
        { groupId: this.groupId, partitions: partitions.map(partitionKey) },
        error,
      );
    }
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
    if (this.#member !== undefined) await this.#member.leave();
    // A failed LeaveGroup only means the others wait for the session timeout instead.
    else await new Promise<void>((resolve) => client.leaveGroup(false, () => resolve()));
    await client.close().catch(() => {});
  }

  /**
   * Classic protocol: the client's subscription-metadata hook, awaited before each JoinGroup.
   * With the cooperative protocol the client keeps what it owns across a rebalance and drops
   * from its assignment only what the group takes away (or everything when it lost its
   * membership): give up exactly those partitions first. The client stopped heartbeating when
   * it decided to rejoin; heartbeats of our own keep the session alive meanwhile.
   */
  async #beforeJoin(): Promise<Buffer> {
    const stopHeartbeats = this.#requests?.keepSessionAlive(this.#options.heartbeatIntervalMs) ?? (() => {});
    try {
      const kept = new Set(
        (this.#client?.assignments ?? []).flatMap(({ topic, partitions }) =>
          partitions.map((partition) => partitionKey({ topic, partition })),
        ),
      );
      await this.#enqueue(() =>
        this.#revoke([...this.#owned.values()].filter((stream) => !kept.has(stream.key))),
      );
    } finally {
      stopHeartbeats();
    }
    // Protocol version 3 carries the generation and owned partitions in fields of their own.
    return Buffer.alloc(0);
  }

  /** The group's latest assignment for this member: reconciled after what is queued, latest first. */
  #reconcileTo(partitions: TopicPartition[]): void {
    this.#target = partitions;
    void this.#enqueue(() => this.#reconcile());
  }

  async #reconcile(): Promise<void> {
    const target = this.#target;
    if (target === undefined || !this.#running()) return;
    this.#target = undefined;
    const keys = new Set(target.map(partitionKey));
    const revoked = [...this.#owned.values()].filter((stream) => !keys.has(stream.key));
    await this.#revoke(revoked);
    const added = target.filter((tp) => !this.#owned.has(partitionKey(tp)));
    const streams = this.#addStreams(added);
    // The coordinator hands a revoked partition to its next owner only once this is
    // acknowledged. Only a change is: the coordinator repeats the target in its answer to a
    // full heartbeat, and acknowledging that at once would heartbeat in a loop.
    if (revoked.length > 0 || added.length > 0) this.#member?.acknowledge();
    await this.#activate(added, streams);
  }

  /** The coordinator gave this member's partitions away: stop them all, without a commit that could count. */
  #lost(reason: string): void {
    this.#target = undefined;
    this.#retrying(
      'membership',
      new Error(`the group coordinator expelled this member (${reason}); joining again`),
    );
    void this.#enqueue(() => this.#revoke([...this.#owned.values()]));
  }

  #addStreams(partitions: TopicPartition[]): PartitionStream[] {
    if (!this.#running()) return [];
    const streams = partitions.map(
      (tp) =>
        new PartitionStream(tp, {
          maxBatchRecords: this.#options.maxBatchRecords,
          deliver: (batch) => this.#deliver(batch),
          wantsRecords: () => this.#fetcher?.notify(),
        }),
    );
    for (const stream of streams) this.#owned.set(stream.key, stream);
    return streams;
  }

  async #activate(partitions: TopicPartition[], streams: PartitionStream[]): Promise<void> {
    if (streams.length === 0) return;
    // Looked up beside onAssigned, not inside this task: a revocation must never wait on a
    // coordinator that is slow to answer. A stream fetches only once its position is known.
    void this.#positions?.lookUp(streams);
    await this.#callHandler('onAssigned', partitions, () => this.#handlers?.onAssigned?.(partitions));
    for (const stream of streams) stream.markReady();
  }

  /**
   * Stops these partitions, waits for the batches in hand, then calls `onRevoked`;
   * ownership ends only after it settled, so it can still commit what it finished.
   */
  async #revoke(streams: PartitionStream[]): Promise<void> {
    if (streams.length === 0) return;
    try {
      await Promise.all(streams.map((stream) => stream.revoke()));
      const partitions = streams.map(({ topic, partition }) => ({ topic, partition }));
      await this.#callHandler('onRevoked', partitions, () => this.#handlers?.onRevoked?.(partitions));
    } finally {
      for (const stream of streams) this.#owned.delete(stream.key);
    }
  }

  async #revokeAll(): Promise<void> {
    await this.#revoke([...this.#owned.values()]);
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
      client.joinGroup({}).then(
        () => this.#recovered('join', 1),
        () => this.#scheduleRejoin(),
      );
    }, this.#bus.retryDelayMs);
  }

  /** Classic protocol: joins, retrying with backoff while the coordinator is not there yet. */
  async #joinClassic(client: Consumer): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      try {
        await client.joinGroup({});
        if (failures > 0) this.#recovered('join', failures);
        return;
      } catch (error) {
        if (isConfigurationError(error) || !this.#running()) throw error;
        if (failures === 0) this.#retrying('join', error);
        await new Promise((resolve) =>
          setTimeout(
            resolve,
            Math.min(this.#bus.retryDelayMs * 2 ** Math.min(failures, 10), maxRetryDelayMs),
          ),
        );
      }
    }
  }

  /**
   * Consumer protocol: the session timeout and heartbeat interval are the group's, set on the
   * broker (KIP-848 group configs). Within the broker's bounds
   * (`group.consumer.min.session.timeout.ms`, `group.consumer.min.heartbeat.interval.ms`) the
   * member's settings apply; otherwise the broker's defaults do, and this says so once.
   */
  async #applySessionSettings(): Promise<void> {
    const { sessionTimeoutMs, heartbeatIntervalMs } = this.#options;
    try {
      await this.#requests!.setGroupConfigs({
        'consumer.session.timeout.ms': String(sessionTimeoutMs),
        'consumer.heartbeat.interval.ms': String(heartbeatIntervalMs),
      });
    } catch (error) {
      this.#bus.onTransientError(
        new BusError(
          'bus.group_config_refused',
          `group ${this.groupId} keeps the broker's session timeout and heartbeat interval: the broker refused ${sessionTimeoutMs} ms / ${heartbeatIntervalMs} ms (${describeClientError(error)}); lower group.consumer.min.session.timeout.ms and group.consumer.min.heartbeat.interval.ms on the brokers, or allow AlterConfigs on the group`,
          { groupId: this.groupId, sessionTimeoutMs, heartbeatIntervalMs },
          error,
        ),
      );
    }
  }

  #retrying(what: string, error: unknown): void {
    this.#failedJoins += 1;
    if (this.#failedJoins > 1) return;
    this.#bus.onTransientError(
      new BusError(
        'bus.group_retrying',
        `group ${this.groupId}: ${what} failed, retrying with backoff until the coordinator answers: ${describeClientError(error)}`,
        { groupId: this.groupId, what },
        error,
      ),
    );
  }

  #recovered(what: string, failures: number): void {
    if (this.#failedJoins === 0) return;
    this.#failedJoins = 0;
    this.#bus.onRecovered?.({ groupId: this.groupId, what, failures });
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
