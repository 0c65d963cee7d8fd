/**
 * The message bus: the one seam between kraul's roles and the transport.
 * Two implementations honour this contract (test/contract): Kafka (the cluster) and
 * an in-memory bus (embedded mode). Roles never see which one they run on.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A record as a consumer sees it. `offset` is the record's own offset (not the next one). */
export interface BusRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string>;
  /** Milliseconds since the epoch, as stored with the record. */
  timestamp: number;
  /**
   * The value as its producer handed it over already decoded (`OutgoingRecord.decoded`), on a
   * bus that never leaves the process (the in-memory bus). Shared, so read-only. Absent on Kafka.
   */
  decoded?: unknown;
}

/** A record to produce. Without `partition`, the key decides it with Java's murmur2 placement. */
export interface OutgoingRecord {
  topic: string;
  key: string | null;
  value: Uint8Array;
  headers?: Record<string, string>;
  partition?: number;
  /**
   * The object `value` encodes. A bus within one process passes it to consumers so they need
   * not decode and validate what their own process produced; a bus that serialises ignores it.
   * Neither side may change it after `send`.
   */
  decoded?: unknown;
}

/** Where an acknowledged record was written. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export interface Producer {
  /**
   * Sends records and resolves once the bus has acknowledged every one of them
   * (acks=all on Kafka). A batch that could not be written rejects with a
   * `ProduceError`; nothing is ever dropped silently. The caller decides whether to retry.
   */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  close(): Promise<void>;
}

/** A batch of records of one partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: BusRecord[];
}

export interface ConsumerHandlers {
  /**
   * Receives the records of one partition in offset order. The next batch of the
   * same partition is delivered only after the returned promise settles; other
   * partitions keep flowing meanwhile. A handler that throws does not commit.
   */
  onBatch(batch: PartitionBatch): Promise<void> | void;
  /** Partitions this member now owns. Called before their first batch. */
  onAssigned?(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Partitions this member is about to lose (rebalance or close). No batch of
   * them is delivered after this is called; the member should finish or drop
   * their in-flight work and commit what is done before the promise settles.
   */
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a partition without a committed offset starts. Default: 'earliest'. */
  startFrom?: 'earliest' | 'latest';
  /** Group session timeout: how long a dead member keeps its partitions. Default: 10,000 ms. */
  sessionTimeoutMs?: number;
  /** Default: a fifth of the session timeout, at most 1,000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * Longest a fetch waits for new records. Default: 500 ms. On Kafka, a fetch made while a
   * partition of the member is left out of it for the moment (a chunk of it waits to be
   * handled) waits at most 50 ms, so that partition is asked for again soon.
   */
  maxWaitMs?: number;
  /** Upper bound of records handed to one `onBatch` call. Default: 500. */
  maxBatchRecords?: number;
  /** Client id shown in broker logs and metrics. */
  clientId?: string;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to consume (one past the last handled record). */
  offset: number;
  /**
   * A short string stored with the offset (Kafka's commit metadata; keep it under 4 KB, the
   * brokers' default `offset.metadata.max.bytes`): state the partition's next owner reads back.
   */
  metadata?: string;
}

/** A partition's committed offset and the metadata stored with it. */
export interface CommittedOffset extends TopicPartition {
  /** The next offset to consume, or -1 when the group has committed none. */
  offset: number;
  metadata: string | null;
}

export interface GroupConsumer {
  readonly groupId: string;
  /**
   * Whether a partition's next owner reads its committed offset (and metadata) only after
   * this member's `onRevoked` settled and committed: so a handover written there is the
   * latest word on the partition. False on kafkajs, whose `onRevoked` runs after the group
   * already moved on.
   */
  readonly commitsBeforeHandover: boolean;
  /** Joins the group and starts delivering. Resolves once the member has joined. */
  start(handlers: ConsumerHandlers): Promise<void>;
  /** Stops fetching these partitions after the batch in hand; others keep flowing. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  isPaused(partition: TopicPartition): boolean;
  /** Commits offsets for partitions this member owns. */
  commit(offsets: readonly CommitOffset[]): Promise<void>;
  /** The partitions this member owns now. */
  assignment(): TopicPartition[];
  /** The group's committed offsets (and their metadata) of these partitions. */
  committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]>;
  /** Revokes (calling `onRevoked`), leaves the group at once so others take over, and disconnects. */
  close(): Promise<void>;
}

export interface ReaderOptions {
  topic: string;
  /** Longest a fetch waits for new records. Default: 500 ms. */
  maxWaitMs?: number;
  clientId?: string;
}

/**
 * Reads a whole topic, every partition from its first record, and follows it: for small
 * topics every process reads entirely (the compacted jobs topic). No consumer group, no
 * commits, nothing left on the broker.
 */
export interface TopicReader {
  /** Resolves once every partition's start is known; batches arrive in offset order per partition. */
  start(onBatch: (batch: PartitionBatch) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Default: 1. */
  replicationFactor?: number;
  /** Broker topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  config?: Record<string, string>;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  /** Replicas of the least-replicated partition; undefined where the bus keeps no replicas. */
  replicationFactor?: number;
  /** Partitions whose in-sync replicas are fewer than their replicas (a broker down or behind). */
  underReplicatedPartitions?: number;
}

export interface PartitionLag extends TopicPartition {
  /** The group's committed offset, or -1 when it has none. */
  committed: number;
  /** The offset the next produced record will get. */
  logEnd: number;
  /** Records not yet committed by the group (logEnd - committed, or logEnd - logStart without a commit). */
  lag: number;
}

export interface BusAdmin {
  /** Creates the topics that do not exist yet and waits until every partition has a leader. */
  createTopics(topics: readonly TopicSpec[]): Promise<void>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Brokers in the cluster (1 for the memory bus). */
  brokerCount(): Promise<number>;
  /** Each topic's configs as the brokers apply them, defaults included, by topic name. */
  topicConfigs(names: readonly string[]): Promise<Map<string, Record<string, string>>>;
  /** Per-partition lag of a consumer group on a topic. */
  lag(groupId: string, topic: string): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

export interface Bus {
  readonly kind: 'kafka' | 'memory';
  producer(options?: { clientId?: string }): Producer;
  consumer(options: ConsumerOptions): GroupConsumer;
  /** A reader of a whole topic that joins no group (see TopicReader). */
  reader(options: ReaderOptions): TopicReader;
  admin(): BusAdmin;
  /** Closes every producer, consumer and admin this bus made. */
  close(): Promise<void>;
}
