import { assertValidConsumerOptions } from '../consumer-options.ts';
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
import type { MemoryBroker } from './broker.ts';
import type { ConsumerGroup, GroupMember } from './consumer-group.ts';
import { PartitionFetcher } from './partition-fetcher.ts';

type MemberState = 'new' | 'joining' | 'member' | 'closing' | 'closed' | 'dead';

const defaultSessionTimeoutMs = 10_000;
const defaultMaxBatchRecords = 500;

function keyOf(tp: TopicPartition): string {
  // Topic names cannot contain ':' (Kafka's legal characters), so the key is unambiguous.
  return `${tp.topic}:${tp.partition}`;
}

/**
 * A member of a consumer group on the memory bus. `heartbeatIntervalMs` and `maxWaitMs`
 * have nothing to tune here: records are handed over as soon as they are appended, and a
 * live member never misses a heartbeat. Only `kill()` makes a member go silent.
 */
export class MemoryGroupConsumer implements GroupConsumer, GroupMember {
  readonly groupId: string;
  readonly commitsBeforeHandover = true;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  private readonly startFrom: 'earliest' | 'latest';
  private readonly maxBatchRecords: number;
  private readonly broker: MemoryBroker;
  private readonly onClosed: (consumer: MemoryGroupConsumer) => void;
  private group: ConsumerGroup | undefined;
  private handlers: ConsumerHandlers | undefined;
  private state: MemberState = 'new';
  private readonly fetchers = new Map<string, PartitionFetcher>();
  private assigning: Promise<void> = Promise.resolve();
  /** Revocations, one after the other. */
  private revoking: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private joining: { resolve: () => void; reject: (error: BusError) => void } | undefined;
  private readonly died: Promise<void>;
  private markDied!: () => void;

  constructor(
    broker: MemoryBroker,
    options: ConsumerOptions,
    onClosed: (consumer: MemoryGroupConsumer) => void,
  ) {
    assertValidConsumerOptions(options);
    this.broker = broker;
    this.onClosed = onClosed;
    this.groupId = options.groupId;
    this.topics = [...new Set(options.topics)];
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? defaultSessionTimeoutMs;
    this.startFrom = options.startFrom ?? 'earliest';
    this.maxBatchRecords = options.maxBatchRecords ?? defaultMaxBatchRecords;
    this.died = new Promise((resolve) => {
      this.markDied = resolve;
    });
  }

  async start(handlers: ConsumerHandlers): Promise<void> {
    this.broker.assertOpen();
    if (this.state !== 'new') {
      throw new BusError('bus.consumer_started', `a member of group ${this.groupId} can start only once`, {
        groupId: this.groupId,
      });
    }
    for (const topic of this.topics) this.broker.requireTopic(topic);
    this.handlers = handlers;
    this.state = 'joining';
    const joined = new Promise<void>((resolve, reject) => {
      this.joining = { resolve, reject };
    });
    this.group = this.broker.group(this.groupId);
    this.group.join(this);
    await joined;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.fetchers.get(keyOf(tp))?.pause();
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.fetchers.get(keyOf(tp))?.resume();
  }

  isPaused(partition: TopicPartition): boolean {
    return this.fetchers.get(keyOf(partition))?.isPaused ?? false;
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    if (this.state === 'dead') {
      throw new BusError('bus.member_dead', `a dead member of group ${this.groupId} cannot commit`, {
        groupId: this.groupId,
      });
    }
    if (this.state === 'new' || this.state === 'closed' || this.group === undefined) {
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
      const fetcher = this.fetchers.get(keyOf({ topic, partition }));
      if (fetcher === undefined || this.broker.topic(topic)?.logs[partition] !== fetcher.log) {
        throw new BusError(
          'bus.commit_rejected',
          `group ${this.groupId} cannot commit ${topic}:${partition}: this member does not own it (rebalanced away)`,
          context,
        );
      }
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > fetcher.log.endOffset) {
        throw new BusError(
          'bus.invalid_offset',
          `cannot commit offset ${offset} of ${topic}:${partition}: the log ends at ${fetcher.log.endOffset}`,
          context,
        );
      }
    }
    this.group.storeCommit(offsets);
  }

  assignment(): TopicPartition[] {
    if (this.state === 'dead') return [];
    return [...this.fetchers.values()].map((fetcher) => ({
      topic: fetcher.topic,
      partition: fetcher.partition,
    }));
  }

  async committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    const group = this.group;
    return partitions.map(({ topic, partition }) => ({
      topic,
      partition,
      offset: group?.committedOffset(topic, partition) ?? -1,
      metadata: group?.committedMetadata(topic, partition) ?? null,
    }));
  }

  close(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'closed';
      this.onClosed(this);
      return Promise.resolve();
    }
    if (this.state === 'closed' || this.state === 'dead') return Promise.resolve();
    this.closing ??= this.revokeAndLeave();
    return this.closing;
  }

  /**
   * Stops this member at once, as if its process had died: no more batches, no
   * `onRevoked`, no commit, no leave. The group hands its partitions to the others only
   * when its session times out. For failure drills.
   */
  kill(): void {
    if (this.state === 'dead' || this.state === 'closed') return;
    if (this.state === 'new') {
      this.state = 'closed';
      this.onClosed(this);
      return;
    }
    this.state = 'dead';
    this.markDied();
    for (const fetcher of this.fetchers.values()) void fetcher.stop();
    this.settleJoin(new BusError('bus.member_dead', `member of group ${this.groupId} died while joining`));
    this.group?.memberDied(this);
    this.onClosed(this);
  }

  assignable(): boolean {
    return this.state === 'joining' || this.state === 'member';
  }

  owned(): TopicPartition[] {
    return this.assignment();
  }

  revoke(partitions: TopicPartition[]): Promise<void> {
    if (this.state === 'dead' || partitions.length === 0) return Promise.resolve();
    const run = this.revoking.then(() => this.revokeNow(partitions));
    this.revoking = run.catch(() => {});
    return run;
  }

  assign(partitions: TopicPartition[]): void {
    if (!this.assignable()) return;
    const fetchers: PartitionFetcher[] = [];
    for (const tp of partitions) {
      const log = this.broker.requireTopic(tp.topic).logs[tp.partition]!;
      const fetcher = new PartitionFetcher(log, (batch) => this.deliver(batch), this.maxBatchRecords);
      this.fetchers.set(keyOf(tp), fetcher);
      fetchers.push(fetcher);
    }
    const previous = this.assigning;
    this.assigning = previous.then(() => this.activate(partitions, fetchers));
  }

  expel(): void {
    this.fetchers.clear();
  }

  private async activate(partitions: TopicPartition[], fetchers: PartitionFetcher[]): Promise<void> {
    if (partitions.length > 0) {
      await this.callHandler('onAssigned', partitions, () => this.handlers?.onAssigned?.(partitions));
    }
    if (!this.assignable()) return;
    for (const fetcher of fetchers) fetcher.start(this.startPosition(fetcher));
    this.state = 'member';
    this.settleJoin();
  }

  private startPosition(fetcher: PartitionFetcher): number {
    const log = fetcher.log;
    const committed = this.group?.committedOffset(fetcher.topic, fetcher.partition);
    if (committed !== undefined) return Math.max(committed, log.startOffset);
    return this.startFrom === 'earliest' ? log.startOffset : log.endOffset;
  }

  /** A method, not a field test: the state may change across every `await` (kill). */
  private isDead(): boolean {
    return this.state === 'dead';
  }

  private async revokeNow(partitions: TopicPartition[]): Promise<void> {
    await Promise.race([this.assigning, this.died]);
    if (this.isDead()) return;
    const fetchers = partitions.flatMap((tp) => {
      const fetcher = this.fetchers.get(keyOf(tp));
      return fetcher === undefined ? [] : [fetcher];
    });
    if (fetchers.length === 0) return;
    await Promise.race([Promise.all(fetchers.map((fetcher) => fetcher.stop())), this.died]);
    if (this.isDead()) return;
    const revoked = fetchers.map((fetcher) => ({ topic: fetcher.topic, partition: fetcher.partition }));
    await Promise.race([
      this.callHandler('onRevoked', revoked, () => this.handlers?.onRevoked?.(revoked)),
      this.died,
    ]);
    if (this.isDead()) return;
    // Ownership ends only now, so `onRevoked` can still commit what it finished.
    for (const fetcher of fetchers) {
      const key = keyOf(fetcher);
      if (this.fetchers.get(key) === fetcher) this.fetchers.delete(key);
    }
  }

  private async revokeAndLeave(): Promise<void> {
    this.state = 'closing';
    await this.revoke(this.assignment());
    if (this.isDead()) return;
    this.group?.leave(this);
    this.state = 'closed';
    this.settleJoin(
      new BusError('bus.consumer_closed', `member of group ${this.groupId} closed while joining`),
    );
    this.onClosed(this);
  }

  private settleJoin(error?: BusError): void {
    const joining = this.joining;
    if (joining === undefined) return;
    this.joining = undefined;
    if (error === undefined) joining.resolve();
    else joining.reject(error);
  }

  private async deliver(batch: PartitionBatch): Promise<void> {
    try {
      await this.handlers?.onBatch(batch);
    } catch (error) {
      if (this.state === 'dead') return;
      const first = batch.records[0]?.offset;
      const last = batch.records.at(-1)?.offset;
      this.report('onBatch', error, { topic: batch.topic, partition: batch.partition, first, last });
    }
  }

  private async callHandler(
    name: 'onAssigned' | 'onRevoked',
    partitions: TopicPartition[],
    call: () => Promise<void> | void,
  ): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.report(name, error, { partitions: partitions.map(keyOf) });
    }
  }

  private report(handler: string, error: unknown, context: Record<string, unknown>): void {
    this.broker.settings.onHandlerError(
      new BusError(
        'bus.handler_failed',
        `${handler} of group ${this.groupId} failed`,
        { groupId: this.groupId, handler, ...context },
        error,
      ),
    );
  }
}
