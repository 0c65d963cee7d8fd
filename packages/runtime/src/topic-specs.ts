import type { TopicSpec } from '@kraul/bus';
import { type TopicRole, topicNames } from '@kraul/protocol';

/** A topic spec with the role it plays in a crawl. */
export interface KraulTopicSpec extends TopicSpec {
  role: TopicRole;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long each topic keeps its records. todo, events and schedule are work in transit: a
 * consumer group more than a week behind has bigger problems, and the frontier's leases send
 * lost fetch requests again. pages and items are outputs that `kraul export` and downstream
 * readers replay. jobs is compacted (one job record, and one progress record per frontier
 * shard, kept for good); its segments roll hourly so compaction can drop superseded progress
 * records. dlq is kept longest: an operator reads it after the fact.
 */
export const TOPIC_RETENTION: Readonly<Record<TopicRole, Record<string, string>>> = {
  todo: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  events: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  schedule: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  pages: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY_MS) },
  items: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY_MS) },
  jobs: { 'cleanup.policy': 'compact', 'segment.ms': String(60 * 60 * 1000) },
  dlq: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
};

/**
 * Records are stored as the producer compressed them (`producer`), so the producer's choice
 * (made for throughput) is not undone by the broker recompressing every batch.
 */
export const TOPIC_COMPRESSION = 'producer';

/** The replication factor `topics create` picks when none is given: min(3, brokers). */
export function defaultReplicationFactor(brokers: number): number {
  return Math.max(1, Math.min(3, brokers));
}

/**
 * `min.insync.replicas` for a replication factor: 2 from 3 replicas up, so an acks=all write
 * survives one broker's loss and still refuses to land on a lone replica; 1 below that (with 2
 * replicas, requiring both would stop every write when one broker restarts).
 */
export function minInsyncReplicas(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/**
 * The topics of one crawl cluster (or one embedded crawl), in creation order.
 *
 * todo and schedule share one partition count: the frontier shard that owns schedule
 * partition p is the only writer of todo partition p, so one host's state and traffic stay
 * in one shard and one crawler. events, pages and items get the same count so their
 * consumers scale alike (items are keyed by job, so one job's items stay in order). jobs is
 * compacted (one record per job, kept forever) and, like dlq, has a single partition: both
 * are small and read whole.
 */
export function kraulTopicSpecs(prefix: string, partitions: number, replicationFactor = 1): KraulTopicSpec[] {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a whole number >= 1, got ${partitions}`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new RangeError(`replicationFactor must be a whole number >= 1, got ${replicationFactor}`);
  }
  const names = topicNames(prefix);
  const spec = (role: TopicRole, count: number): KraulTopicSpec => ({
    role,
    name: names[role],
    partitions: count,
    replicationFactor,
    config: {
      ...TOPIC_RETENTION[role],
      'compression.type': TOPIC_COMPRESSION,
      'min.insync.replicas': String(minInsyncReplicas(replicationFactor)),
    },
  });
  return [
    spec('todo', partitions),
    spec('events', partitions),
    spec('schedule', partitions),
    spec('pages', partitions),
    spec('items', partitions),
    spec('jobs', 1),
    spec('dlq', 1),
  ];
}
