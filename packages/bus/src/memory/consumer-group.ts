import { BusError } from '../errors.ts';
import type { CommitOffset, TopicPartition } from '../types.ts';
import type { BrokerSettings } from './broker-settings.ts';
import type { CommittedOffsets, MemoryTopic } from './memory-topic.ts';
import { stickyAssign } from './sticky-assignor.ts';

/** What a group needs of its broker (which owns the groups, not the reverse): its topics and settings. */
export interface TopicLookup {
  readonly settings: BrokerSettings;
  topic(name: string): MemoryTopic | undefined;
}

/** What the coordinator needs from a member of its group. */
export interface GroupMember {
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  /** Whether the member takes part in the next assignment (joined, neither closing nor dead). */
  assignable(): boolean;
  /** The partitions the member owns now. */
  owned(): TopicPartition[];
  /**
   * Stops delivery of these partitions, waits for their in-flight batches and `onRevoked`;
   * resolves at once for a dead member.
   */
  revoke(partitions: TopicPartition[]): Promise<void>;
  /** Hands the member the partitions it gains (possibly none; the first call completes its join). */
  assign(partitions: TopicPartition[]): void;
  /** The member's session expired: it is out of the group. */
  expel(): void;
}

interface PendingExpiry {
  timer: NodeJS.Timeout;
  expelled: Promise<void>;
  resolve: () => void;
}

/**
 * A consumer group's coordinator with incremental rebalancing, as Kafka's consumer group
 * protocol (KIP-848) does it: on a membership change a sticky assignment is computed from
 * what members own; only the partitions that change owner are revoked (and their `onRevoked`
 * settles) before their new owner gets them; every other partition keeps flowing. A member
 * that dies keeps its partitions until its session times out, as on a broker, so its
 * uncommitted records go to the survivors only then.
 */
export class ConsumerGroup implements CommittedOffsets {
  readonly groupId: string;
  private readonly broker: TopicLookup;
  private members: GroupMember[] = [];
  private readonly committed = new Map<string, Map<number, number>>();
  private readonly metadata = new Map<string, string>();
  private readonly expiries = new Map<GroupMember, PendingExpiry>();
  private rebalanceRequested = false;
  private rebalancing: Promise<void> | undefined;
  private closed = false;

  constructor(groupId: string, broker: TopicLookup) {
    this.groupId = groupId;
    this.broker = broker;
  }

  join(member: GroupMember): void {
    this.members.push(member);
    for (const topic of member.topics) this.broker.topic(topic)?.consumerGroups.add(this);
    this.requestRebalance();
  }

  /** A member that revoked everything leaves (LeaveGroup): the others rebalance at once. */
  leave(member: GroupMember): void {
    this.members = this.members.filter((candidate) => candidate !== member);
    this.requestRebalance();
  }

  /** A member stopped without a word: it stays in the group until its session times out. */
  memberDied(member: GroupMember): void {
    if (this.closed || this.expiries.has(member)) return;
    let resolve!: () => void;
    const expelled = new Promise<void>((settle) => {
      resolve = settle;
    });
    const timer = setTimeout(() => this.expel(member), member.sessionTimeoutMs);
    this.expiries.set(member, { timer, expelled, resolve });
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition);
  }

  /** The metadata committed with a partition's offset, if any. */
  committedMetadata(topic: string, partition: number): string | null {
    return this.metadata.get(`${topic}:${partition}`) ?? null;
  }

  /** Stores offsets the caller has checked the member owns. */
  storeCommit(offsets: readonly CommitOffset[]): void {
    for (const { topic, partition, offset, metadata } of offsets) {
      if (metadata) this.metadata.set(`${topic}:${partition}`, metadata);
      else this.metadata.delete(`${topic}:${partition}`);
      let partitions = this.committed.get(topic);
      if (partitions === undefined) {
        partitions = new Map();
        this.committed.set(topic, partitions);
      }
      partitions.set(partition, offset);
    }
    if (!this.broker.settings.trimCommitted) return;
    for (const { topic, partition } of offsets) this.broker.topic(topic)?.trimCommitted(partition);
  }

  /** A topic was created or deleted: its offsets go, and subscribers rebalance to pick up the change. */
  topicChanged(name: string): void {
    const topic = this.broker.topic(name);
    if (topic === undefined) {
      this.committed.delete(name);
      for (const key of this.metadata.keys()) if (key.startsWith(`${name}:`)) this.metadata.delete(key);
    }
    if (!this.members.some((member) => member.topics.includes(name))) return;
    topic?.consumerGroups.add(this);
    this.requestRebalance();
  }

  get memberCount(): number {
    return this.members.length;
  }

  close(): void {
    this.closed = true;
    for (const expiry of this.expiries.values()) {
      clearTimeout(expiry.timer);
      expiry.resolve();
    }
    this.expiries.clear();
  }

  private expel(member: GroupMember): void {
    const expiry = this.expiries.get(member);
    if (expiry === undefined) return;
    this.expiries.delete(member);
    this.members = this.members.filter((candidate) => candidate !== member);
    member.expel();
    expiry.resolve();
    this.requestRebalance();
  }

  private requestRebalance(): void {
    if (this.closed) return;
    this.rebalanceRequested = true;
    if (this.rebalancing !== undefined) return;
    this.rebalancing = this.rebalance()
      .catch((error: unknown) => {
        this.broker.settings.onHandlerError(
          new BusError(
            'bus.rebalance_failed',
            `group ${this.groupId} failed to rebalance`,
            { groupId: this.groupId },
            error,
          ),
        );
      })
      .finally(() => {
        this.rebalancing = undefined;
        // A change that arrived while the loop was finishing still needs its rebalance.
        if (this.rebalanceRequested) this.requestRebalance();
      });
  }

  private async rebalance(): Promise<void> {
    // Let the caller's synchronous work (a join, a leave) finish before the group moves.
    await Promise.resolve();
    while (this.rebalanceRequested && !this.closed) {
      this.rebalanceRequested = false;
      if (this.expiries.size > 0) {
        // A dead member never acknowledges; like a broker, the group waits for its session to
        // expire. The others keep what they own meanwhile.
        await Promise.all([...this.expiries.values()].map((expiry) => expiry.expelled));
        continue;
      }
      const subscribers = this.members
        .filter((member) => member.assignable())
        .map((member) => ({ member, topics: member.topics, owned: member.owned() }));
      const plan = stickyAssign(subscribers, (topic) => this.broker.topic(topic)?.partitions);
      const keyOf = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`;
      const moves = [...plan].map(([member, partitions]) => {
        const target = new Set(partitions.map(keyOf));
        const owned = member.owned();
        const have = new Set(owned.map(keyOf));
        return {
          member,
          leaving: owned.filter((tp) => !target.has(keyOf(tp))),
          added: partitions.filter((tp) => !have.has(keyOf(tp))),
        };
      });
      // Members that left or stopped being assignable give up what they still hold, too.
      const others = this.members.filter((member) => !plan.has(member));
      await Promise.all([
        ...moves.map(({ member, leaving }) => member.revoke(leaving)),
        ...others.map((member) => member.revoke(member.owned())),
      ]);
      if (this.rebalanceRequested || this.closed) continue;
      for (const { member, added } of moves) member.assign(added);
    }
  }
}
