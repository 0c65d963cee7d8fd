import type { TopicDescription } from '@kraul/bus';
import type { KraulTopicSpec } from './topic-specs.ts';

/** What `kraul status` knows about the topics of a prefix. */
export interface TopicHealthInput {
  specs: readonly KraulTopicSpec[];
  /** One per spec, in the same order; undefined for a topic that does not exist. */
  descriptions: readonly (TopicDescription | undefined)[];
  /** Topic configs as the brokers apply them, by topic name. */
  configs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  brokers: number;
}

/**
 * Problems of a prefix's topics that a crawl would suffer from, one sentence each: missing
 * topics, todo and schedule partitioned apart (hosts would move between frontier shards),
 * single replicas on a multi-broker cluster, replicas out of sync, `min.insync.replicas` above
 * the replication factor (every acks=all write fails) and a jobs topic that is not compacted.
 */
export function topicWarnings(input: TopicHealthInput): string[] {
  const warnings: string[] = [];
  const byRole = new Map(input.specs.map((spec, index) => [spec.role, input.descriptions[index]]));
  const missing = input.specs.filter((_, index) => input.descriptions[index] === undefined);
  if (missing.length > 0) {
    warnings.push(
      `missing topic${missing.length === 1 ? '' : 's'} ${missing.map((spec) => spec.name).join(', ')}: run \`kraul topics create\``,
    );
  }
  const todo = byRole.get('todo');
  const schedule = byRole.get('schedule');
  if (todo && schedule && todo.partitions !== schedule.partitions) {
    warnings.push(
      `${todo.name} has ${todo.partitions} partitions but ${schedule.name} has ${schedule.partitions}: ` +
        'they must match, or one host is fed by two frontier shards',
    );
  }
  input.specs.forEach((spec, index) => {
    const description = input.descriptions[index];
    if (!description) return;
    const rf = description.replicationFactor;
    if (rf === 1 && input.brokers > 1) {
      warnings.push(
        `${spec.name} has a single replica on a cluster of ${input.brokers} brokers: losing one broker loses records`,
      );
    }
    if ((description.underReplicatedPartitions ?? 0) > 0) {
      warnings.push(
        `${spec.name}: ${description.underReplicatedPartitions} of ${description.partitions} partitions are under-replicated`,
      );
    }
    const config = input.configs.get(spec.name) ?? {};
    const minInsync = Number(config['min.insync.replicas'] ?? '1');
    if (rf !== undefined && minInsync > rf) {
      warnings.push(
        `${spec.name}: min.insync.replicas ${minInsync} is above its replication factor ${rf}: every write fails`,
      );
    }
    if (spec.role === 'jobs' && !(config['cleanup.policy'] ?? '').split(',').includes('compact')) {
      warnings.push(`${spec.name} is not compacted: old job records pile up and are read by every process`);
    }
  });
  return warnings;
}
