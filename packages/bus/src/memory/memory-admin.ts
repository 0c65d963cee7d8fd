import { BusError } from '../errors.ts';
import type { BusAdmin, PartitionLag, TopicDescription, TopicSpec } from '../types.ts';
import type { MemoryBroker } from './broker.ts';
import { assertValidTopicSpec } from './memory-topic.ts';

export class MemoryAdmin implements BusAdmin {
  private readonly broker: MemoryBroker;
  private readonly onClosed: (admin: MemoryAdmin) => void;
  private closed = false;

  constructor(broker: MemoryBroker, onClosed: (admin: MemoryAdmin) => void) {
    this.broker = broker;
    this.onClosed = onClosed;
  }

  /** Creates the topics that do not exist yet; an existing topic is left as it is. */
  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.assertOpen();
    // Checked first, so a bad spec creates none of the topics.
    for (const spec of topics) assertValidTopicSpec(spec);
    for (const spec of topics) this.broker.createTopic(spec);
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    this.assertOpen();
    return names.map((name) => ({ name, partitions: this.broker.requireTopic(name).partitions }));
  }

  async brokerCount(): Promise<number> {
    this.assertOpen();
    return 1;
  }

  async topicConfigs(names: readonly string[]): Promise<Map<string, Record<string, string>>> {
    this.assertOpen();
    return new Map(names.map((name) => [name, { ...this.broker.requireTopic(name).config }]));
  }

  /** Deletes the topics, their records and every group's offsets for them; missing topics are ignored. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const name of names) this.broker.deleteTopic(name);
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    this.assertOpen();
    const group = this.broker.existingGroup(groupId);
    return this.broker.requireTopic(topic).logs.map((log) => {
      const committed = group?.committedOffset(topic, log.partition);
      const logEnd = log.endOffset;
      return {
        topic,
        partition: log.partition,
        committed: committed ?? -1,
        logEnd,
        lag: committed === undefined ? logEnd - log.startOffset : Math.max(0, logEnd - committed),
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onClosed(this);
  }

  private assertOpen(): void {
    this.broker.assertOpen();
    if (this.closed) throw new BusError('bus.admin_closed', 'the admin client is closed');
  }
}
