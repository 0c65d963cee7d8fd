import type { TopicPartition } from '../types.ts';

export interface Subscriber<Member> {
  member: Member;
  topics: readonly string[];
  /** What the member owns now: kept where the balance allows. */
  owned: readonly TopicPartition[];
}

/**
 * A sticky, balanced assignment (the goal of Kafka's cooperative-sticky and KIP-848 uniform
 * assignors): per topic every subscriber gets ⌊P/n⌋ or ⌈P/n⌉ partitions, and keeps as many
 * of the partitions it owns as that balance allows, so a membership change moves only the
 * partitions it has to. Deterministic for the same subscribers in the same order; every
 * subscriber gets an entry, empty or not.
 */
export function stickyAssign<Member>(
  subscribers: readonly Subscriber<Member>[],
  partitionsOf: (topic: string) => number | undefined,
): Map<Member, TopicPartition[]> {
  const plan = new Map<Member, TopicPartition[]>();
  for (const subscriber of subscribers) plan.set(subscriber.member, []);
  const topics = [...new Set(subscribers.flatMap((subscriber) => subscriber.topics))].sort();
  for (const topic of topics) {
    const count = partitionsOf(topic);
    if (count === undefined) continue;
    const members = subscribers.filter((subscriber) => subscriber.topics.includes(topic));
    const floor = Math.floor(count / members.length);
    let extras = count % members.length;
    const taken = new Set<number>();
    const shares = new Map<Member, number[]>();
    for (const subscriber of members) {
      const mine = subscriber.owned
        .filter((tp) => tp.topic === topic && tp.partition < count && !taken.has(tp.partition))
        .map((tp) => tp.partition)
        .sort((a, b) => a - b);
      let cap = floor;
      if (mine.length > floor && extras > 0) {
        cap += 1;
        extras -= 1;
      }
      const kept = mine.slice(0, cap);
      for (const partition of kept) taken.add(partition);
      shares.set(subscriber.member, kept);
    }
    const free = Array.from({ length: count }, (_, partition) => partition).filter((p) => !taken.has(p));
    for (const subscriber of members) {
      const share = shares.get(subscriber.member)!;
      while (share.length < floor && free.length > 0) share.push(free.shift()!);
    }
    for (const subscriber of members) {
      const share = shares.get(subscriber.member)!;
      if (extras > 0 && share.length === floor && free.length > 0) {
        share.push(free.shift()!);
        extras -= 1;
      }
    }
    for (const subscriber of members) {
      const owned = plan.get(subscriber.member)!;
      for (const partition of shares.get(subscriber.member)!) owned.push({ topic, partition });
    }
  }
  return plan;
}
