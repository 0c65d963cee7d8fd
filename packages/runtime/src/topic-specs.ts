import type { TopicSpec } from '@kraul/bus';
import { type TopicRole, topicNames } from '@kraul/protocol';

/** A topic spec with the role it plays in a crawl. */
export interface KraulTopicSpec extends TopicSpec {
  role: TopicRole;
}

/**
 * The topics of one crawl cluster (or one embedded crawl), in creation order.
 *
 * todo and schedule share one partition count: the frontier shard that owns schedule
 * partition p is the only writer of todo partition p, so one host's state and traffic stay
 * in one shard and one crawler. events and pages get the same count so their consumers
 * scale alike. jobs is compacted (one record per job, kept forever) and, like dlq, has a
 * single partition: both are small and read whole.
 */
export function kraulTopicSpecs(prefix: string, partitions: number, replicationFactor = 1): KraulTopicSpec[] {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a whole number >= 1, got ${partitions}`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new RangeError(`replicationFactor must be a whole number >= 1, got ${replicationFactor}`);
  }
  const names = topicNames(prefix);
  const spec = (role: TopicRole, count: number, config?: Record<string, string>): KraulTopicSpec => ({
    role,
    name: names[role],
    partitions: count,
    replicationFactor,
    ...(config ? { config } : {}),
  });
  return [
    spec('todo', partitions),
    spec('events', partitions),
    spec('schedule', partitions),
    spec('pages', partitions),
    spec('jobs', 1, { 'cleanup.policy': 'compact' }),
    spec('dlq', 1),
  ];
}
