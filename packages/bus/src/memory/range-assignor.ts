import type { TopicPartition } from '../types.ts';

export interface Subscriber<Member> {
  member: Member;
  topics: readonly string[];
}

/**
 * Kafka's RangeAssignor: per topic, its subscribers (in the order given) take contiguous
 * ranges of partitions, the first ones one extra when the count does not divide evenly.
 * Deterministic, and every subscriber gets an entry, empty or not.
 */
export function rangeAssign<Member>(
  subscribers: readonly Subscriber<Member>[],
  partitionsOf: (topic: string) => number | undefined,
): Map<Member, TopicPartition[]> {
  const plan = new Map<Member, TopicPartition[]>();
  for (const subscriber of subscribers) plan.set(subscriber.member, []);
  const topics = [...new Set(subscribers.flatMap((subscriber) => subscriber.topics))].sort();
  for (const topic of topics) {
    const partitions = partitionsOf(topic);
    if (partitions === undefined) continue;
    const members = subscribers.filter((subscriber) => subscriber.topics.includes(topic));
    const share = Math.floor(partitions / members.length);
    const extra = partitions % members.length;
    let next = 0;
    members.forEach((subscriber, index) => {
      const count = share + (index < extra ? 1 : 0);
      const owned = plan.get(subscriber.member)!;
      for (let partition = next; partition < next + count; partition += 1) owned.push({ topic, partition });
      next += count;
    });
  }
  return plan;
}
