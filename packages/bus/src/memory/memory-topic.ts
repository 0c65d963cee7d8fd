import { BusError } from '../errors.ts';
import type { TopicSpec } from '../types.ts';
import { PartitionLog } from './partition-log.ts';

/** Kafka's rule for topic names: letters, digits, `.`, `_`, `-`; at most 249 characters. */
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** What retention needs to know about a consumer group. */
export interface CommittedOffsets {
  committedOffset(topic: string, partition: number): number | undefined;
}

export class MemoryTopic {
  readonly name: string;
  readonly logs: readonly PartitionLog[];
  readonly config: Readonly<Record<string, string>>;
  /** The groups that ever had a member subscribed here: retention keeps what any of them still needs. */
  readonly consumerGroups = new Set<CommittedOffsets>();

  constructor(spec: TopicSpec) {
    assertValidTopicSpec(spec);
    this.name = spec.name;
    this.config = { ...spec.config };
    this.logs = Array.from(
      { length: spec.partitions },
      (_, partition) => new PartitionLog(spec.name, partition),
    );
  }

  get partitions(): number {
    return this.logs.length;
  }

  /** A compacted topic (kraul.jobs) keeps its records: a group joining later must still read every key. */
  get compacted(): boolean {
    return (this.config['cleanup.policy'] ?? '').split(',').includes('compact');
  }

  /** Drops the records of `partition` that every consumer group of the topic has committed past. */
  trimCommitted(partition: number): void {
    if (this.compacted || this.consumerGroups.size === 0) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const group of this.consumerGroups) {
      const committed = group.committedOffset(this.name, partition);
      if (committed === undefined) return;
      lowest = Math.min(lowest, committed);
    }
    this.logs[partition]?.trimBefore(lowest);
  }
}

export function assertValidTopicSpec(spec: TopicSpec): void {
  if (!LEGAL_TOPIC_NAME.test(spec.name) || spec.name === '.' || spec.name === '..') {
    throw new BusError('bus.invalid_topic', `"${spec.name}" is not a legal topic name`, { topic: spec.name });
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new BusError('bus.invalid_topic', `topic ${spec.name} needs a positive partition count`, {
      topic: spec.name,
      partitions: spec.partitions,
    });
  }
}
