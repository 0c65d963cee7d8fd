import { BusError } from '../errors.ts';
import type { TopicSpec } from '../types.ts';
import type { BrokerSettings } from './broker-settings.ts';
import { ConsumerGroup } from './consumer-group.ts';
import { MemoryTopic } from './memory-topic.ts';

export type { BrokerSettings };

/** The state a Kafka cluster would hold: topics with their logs, and consumer groups. */
export class MemoryBroker {
  readonly settings: BrokerSettings;
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private isClosed = false;

  constructor(settings: BrokerSettings) {
    this.settings = settings;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  assertOpen(): void {
    if (this.isClosed) throw new BusError('bus.closed', 'the memory bus is closed');
  }

  topic(name: string): MemoryTopic | undefined {
    return this.topics.get(name);
  }

  requireTopic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (topic === undefined) {
      throw new BusError('bus.unknown_topic', `topic ${name} does not exist`, { topic: name });
    }
    return topic;
  }

  /** Creates the topic unless it exists (an existing topic keeps its partitions, like Kafka). */
  createTopic(spec: TopicSpec): void {
    if (this.topics.has(spec.name)) return;
    this.topics.set(spec.name, new MemoryTopic(spec));
    for (const group of this.groups.values()) group.topicChanged(spec.name);
  }

  deleteTopic(name: string): void {
    if (!this.topics.delete(name)) return;
    for (const group of this.groups.values()) group.topicChanged(name);
  }

  /** The group, created on first use as Kafka's coordinator does. */
  group(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ConsumerGroup(groupId, this);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Forgets a group with no members and its offsets, as Kafka's DeleteGroups does. */
  deleteGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    if (group.memberCount > 0) {
      throw new BusError('bus.group_not_empty', `group ${groupId} still has members`, { groupId });
    }
    group.close();
    this.groups.delete(groupId);
    for (const topic of this.topics.values()) topic.consumerGroups.delete(group);
  }

  existingGroup(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Stops every group's timers and rebalances; consumers must be closed before. */
  close(): void {
    this.isClosed = true;
    for (const group of this.groups.values()) group.close();
  }
}
