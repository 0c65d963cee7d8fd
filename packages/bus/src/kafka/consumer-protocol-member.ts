import { randomUUID } from 'node:crypto';
import type { Consumer } from '@platformatic/kafka';
import type { TopicPartition } from '../types.ts';
import { hasKafkaError, isConfigurationError } from './errors.ts';
import type { GroupRequests, GroupSession } from './group-requests.ts';

export interface ConsumerProtocolMemberOptions {
  topics: readonly string[];
  /** How long the member may take to give partitions up before the coordinator takes them. */
  rebalanceTimeoutMs: number;
  /** Heartbeat interval until the coordinator names its own. */
  heartbeatIntervalMs: number;
  /** First pause after a failed heartbeat; it doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** The partitions this member owns now (what it acknowledges to the coordinator). */
  owned(): TopicPartition[];
  /** The coordinator's target assignment for this member; the owner reconciles, then calls `acknowledge()`. */
  onTarget(partitions: TopicPartition[]): void;
  /** The member was fenced or expelled: its partitions belong to others already. */
  onLost(reason: string): void;
  /** A heartbeat failed for a reason worth retrying; called once per streak of failures. */
  onRetrying(error: unknown): void;
  /** A heartbeat succeeded after a streak of failures. */
  onRecovered(failures: number): void;
}

/**
 * A member of a consumer group on Kafka's consumer group protocol (KIP-848), driven by
 * kraul itself. The coordinator computes assignments; every heartbeat tells it which
 * partitions this member owns and may bring a new target assignment. Partitions that leave
 * are given up by the owner (its work committed) before the next heartbeat acknowledges it;
 * partitions that stay are never touched; new ones arrive only once their previous owner
 * has acknowledged giving them up. @platformatic/kafka 2.12 has this protocol too, but it
 * acknowledges a revocation at once, without waiting for the application to finish and
 * commit the partition's in-flight work, and reports no assignment change: not usable for
 * a member that fetches each partition itself.
 */
export class ConsumerProtocolMember implements GroupSession {
  readonly #client: Consumer;
  readonly #requests: () => GroupRequests;
  readonly #options: ConsumerProtocolMemberOptions;
  readonly #memberId = randomUUID();
  #epoch = 0;
  #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #failures = 0;
  #pendingTarget: { topicId: string; partitions: number[] }[] | undefined;
  #topicIds = new Map<string, string>();
  #topicNames = new Map<string, string>();
  #joined: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(client: Consumer, requests: () => GroupRequests, options: ConsumerProtocolMemberOptions) {
    this.#client = client;
    this.#requests = requests;
    this.#options = options;
    this.#intervalMs = options.heartbeatIntervalMs;
  }

  memberId(): string {
    return this.#memberId;
  }

  generation(): number {
    return this.#epoch;
  }

  /**
   * Joins and keeps heartbeating. Resolves after the first accepted heartbeat; transient
   * failures (coordinator moving or loading, broker restarts) are retried for as long as it
   * takes; a configuration error rejects.
   */
  join(): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => {
      this.#joined = { resolve, reject };
    });
    this.#beatNow();
    return joined;
  }

  /** The owned set changed: tell the coordinator now rather than at the next interval. */
  acknowledge(): void {
    this.#beatNow();
  }

  /** Leaves the group (epoch -1), so the coordinator hands the partitions over at once. */
  async leave(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
    if (this.#epoch <= 0 && this.#joined !== undefined) return;
    await this.#requests()
      .consumerGroupHeartbeat({
        memberId: this.#memberId,
        memberEpoch: -1,
        rebalanceTimeoutMs: this.#options.rebalanceTimeoutMs,
        subscribedTopicNames: [],
        topicPartitions: [],
      })
      .catch(() => {
        // A member that could not say goodbye is expelled after its session timeout instead.
      });
  }

  /** Stops heartbeating without a word (the owner is shutting down after a failed join). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #beatNow(): void {
    if (this.#stopped) return;
    if (this.#inFlight !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#inFlight = this.#beat().finally(() => {
      this.#inFlight = undefined;
      if (this.#again) {
        this.#again = false;
        this.#beatNow();
      }
    });
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#beatNow(), delayMs);
  }

  async #beat(): Promise<void> {
    const sentAt = performance.now();
    try {
      const topicPartitions = await this.#ownedByTopicId();
      const response = await this.#requests().consumerGroupHeartbeat({
        memberId: this.#memberId,
        memberEpoch: this.#epoch,
        rebalanceTimeoutMs: this.#options.rebalanceTimeoutMs,
        subscribedTopicNames: [...this.#options.topics],
        topicPartitions,
      });
      if (this.#stopped) return;
      this.#epoch = response.memberEpoch;
      if (response.heartbeatIntervalMs > 0) this.#intervalMs = response.heartbeatIntervalMs;
      if (response.assignment) this.#pendingTarget = response.assignment.topicPartitions;
      if (this.#pendingTarget !== undefined) {
        // Kept until its topic ids could be named, so a metadata failure loses no assignment.
        const target = await this.#namesOf(this.#pendingTarget);
        this.#pendingTarget = undefined;
        if (this.#stopped) return;
        this.#options.onTarget(target);
      }
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (this.#failures > 0) this.#options.onRecovered(this.#failures);
    this.#failures = 0;
    const joined = this.#joined;
    if (joined) {
      this.#joined = undefined;
      joined.resolve();
    }
    // The interval runs from when this heartbeat was sent, not from its answer. A coordinator
    // that answers late (its writes wait for a dead broker to leave the replicas in sync) has
    // been counting this member's session all along: the next heartbeat goes out at once.
    this.#schedule(Math.max(0, this.#intervalMs - (performance.now() - sentAt)));
  }

  #failed(error: unknown): void {
    if (this.#stopped) return;
    if (hasKafkaError(error, 'FENCED_MEMBER_EPOCH') || hasKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
      // The coordinator gave this member's partitions away (its session expired or its
      // epoch is stale): drop them all and join again with epoch 0.
      this.#epoch = 0;
      this.#options.onLost(
        hasKafkaError(error, 'FENCED_MEMBER_EPOCH') ? 'FENCED_MEMBER_EPOCH' : 'UNKNOWN_MEMBER_ID',
      );
      this.#schedule(this.#options.retryDelayMs);
      return;
    }
    if (this.#joined !== undefined && isConfigurationError(error)) {
      const joined = this.#joined;
      this.#joined = undefined;
      this.#stopped = true;
      joined.reject(error);
      return;
    }
    if (this.#failures === 0) this.#options.onRetrying(error);
    this.#failures += 1;
    // Unknown topic ids or leaders: the metadata may be stale.
    this.#client.clearMetadata();
    // Never longer than the heartbeat interval: when the coordinator's broker dies, the group
    // moves to another one, which gives every member a fresh session timeout from the moment
    // it loaded the group. A member backing off for longer would miss that and be expelled,
    // and everything it did since its last commit would be redelivered (every member of
    // every group on that coordinator at once).
    const delay = Math.min(
      this.#options.retryDelayMs * 2 ** Math.min(this.#failures - 1, 10),
      this.#options.maxRetryDelayMs,
      this.#intervalMs,
    );
    this.#schedule(delay);
  }

  async #ownedByTopicId(): Promise<{ topicId: string; partitions: number[] }[]> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.#options.owned()) {
      const partitions = byTopic.get(topic) ?? [];
      partitions.push(partition);
      byTopic.set(topic, partitions);
    }
    if ([...byTopic.keys()].some((topic) => !this.#topicIds.has(topic))) await this.#refreshTopicIds();
    return [...byTopic].map(([topic, partitions]) => ({ topicId: this.#topicIds.get(topic)!, partitions }));
  }

  async #namesOf(assignment: { topicId: string; partitions: number[] }[]): Promise<TopicPartition[]> {
    if (assignment.some(({ topicId }) => !this.#topicNames.has(topicId))) await this.#refreshTopicIds();
    return assignment.flatMap(({ topicId, partitions }) => {
      const topic = this.#topicNames.get(topicId);
      return topic === undefined ? [] : partitions.map((partition) => ({ topic, partition }));
    });
  }

  async #refreshTopicIds(): Promise<void> {
    this.#client.clearMetadata();
    const metadata = await this.#client.metadata({ topics: [...this.#options.topics] });
    for (const [name, topic] of metadata.topics) {
      this.#topicIds.set(name, topic.id);
      this.#topicNames.set(topic.id, name);
    }
  }
}
