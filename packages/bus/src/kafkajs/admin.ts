import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { BusError } from '../errors.ts';
import type { ResolvedKafkaBusOptions } from '../kafka/options.ts';
import type { BusAdmin, PartitionLag, TopicDescription, TopicSpec } from '../types.ts';
import { describeClientError } from './errors.ts';
import { TopicLookup, type TopicShape } from './topic-lookup.ts';

const pollIntervalMs = 100;
/**
 * `ConfigResourceTypes.TOPIC`: kafkajs is a CommonJS module whose enums Node cannot import by
 * name (its exports are not statically detectable), so the protocol's value is written here.
 */
const topicResource = 2 as ConfigResourceTypes;

export class KafkajsAdmin implements BusAdmin {
  readonly #client: Admin;
  readonly #lookup: TopicLookup;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #onClosed: (admin: KafkajsAdmin) => void;

  constructor(kafka: Kafka, options: ResolvedKafkaBusOptions, onClosed: (admin: KafkajsAdmin) => void) {
    this.#options = options;
    this.#onClosed = onClosed;
    this.#client = kafka.admin();
    this.#lookup = new TopicLookup(this.#client);
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const names = topics.map((spec) => spec.name);
    try {
      await this.#lookup.connect();
      const missing = new Set(await this.#lookup.missing(names));
      const toCreate = topics.filter((spec) => missing.has(spec.name));
      if (toCreate.length > 0) {
        // Without waitForLeaders: on a cluster of several KRaft brokers kafkajs's own wait asks a
        // broker that has not seen the topic yet and fails; the loop below waits instead.
        await this.#client.createTopics({
          waitForLeaders: false,
          topics: toCreate.map((spec) => ({
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor ?? 1,
            configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      }
    } catch (error) {
      throw new BusError(
        'bus.create_topic_failed',
        `could not create topic ${names.join(', ')}: ${describeClientError(error)}`,
        { topics: names },
        error,
      );
    }
    await this.#waitUntil(names, 'have a leader for every partition', async () => {
      if ((await this.#lookup.missing(names)).length > 0) return false;
      const metadata = await this.#client.fetchTopicMetadata({ topics: names });
      return names.every((name) => {
        const partitions = metadata.topics.find((topic) => topic.name === name)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((partition) => partition.leader >= 0);
      });
    });
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    let shapes: Map<string, TopicShape>;
    try {
      const missing = await this.#lookup.missing(names);
      if (missing.length > 0) {
        throw new BusError('bus.unknown_topic', `topic does not exist: ${missing.join(', ')}`, {
          topics: names,
        });
      }
      shapes = await this.#lookup.describe(names);
    } catch (error) {
      if (error instanceof BusError) throw error;
      throw new BusError(
        'bus.metadata_failed',
        `could not describe ${names.join(', ')}: ${describeClientError(error)}`,
        { topics: names },
        error,
      );
    }
    return names.map((name) => {
      const shape = shapes.get(name);
      return shape === undefined ? { name, partitions: 0 } : { name, ...shape };
    });
  }

  async brokerCount(): Promise<number> {
    try {
      await this.#lookup.connect();
      return (await this.#client.describeCluster()).brokers.length;
    } catch (error) {
      throw new BusError(
        'bus.metadata_failed',
        `could not read the cluster's brokers: ${describeClientError(error)}`,
        {},
        error,
      );
    }
  }

  async topicConfigs(names: readonly string[]): Promise<Map<string, Record<string, string>>> {
    if (names.length === 0) return new Map();
    try {
      await this.#lookup.connect();
      const described = await this.#client.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: topicResource, name })),
      });
      const configs = new Map<string, Record<string, string>>();
      for (const resource of described.resources) {
        const values: Record<string, string> = {};
        for (const entry of resource.configEntries) {
          if (typeof entry.configValue === 'string') values[entry.configName] = entry.configValue;
        }
        configs.set(resource.resourceName, values);
      }
      return configs;
    } catch (error) {
      throw new BusError(
        'bus.describe_configs_failed',
        `could not read the configs of ${names.join(', ')}: ${describeClientError(error)}`,
        { topics: names },
        error,
      );
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    try {
      const existing = new Set(names);
      for (const missing of await this.#lookup.missing(names)) existing.delete(missing);
      if (existing.size > 0) await this.#client.deleteTopics({ topics: [...existing] });
    } catch (error) {
      throw new BusError(
        'bus.delete_topic_failed',
        `could not delete ${names.join(', ')}: ${describeClientError(error)}`,
        { topics: names },
        error,
      );
    }
    // Deletion completes in the background: wait until the cluster no longer lists the topics,
    // so a topic of the same name can be created right after.
    await this.#waitUntil(
      names,
      'disappear',
      async () => (await this.#lookup.missing(names)).length === names.length,
    );
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    await this.describeTopics([topic]);
    try {
      const [committedTopics, ends] = await Promise.all([
        this.#client.fetchOffsets({ groupId, topics: [topic] }),
        this.#client.fetchTopicOffsets(topic),
      ]);
      const committed = new Map<number, number>();
      for (const committedTopic of committedTopics) {
        if (committedTopic.topic !== topic) continue;
        for (const partition of committedTopic.partitions) {
          committed.set(partition.partition, Number(partition.offset));
        }
      }
      return ends
        .map(({ partition, high, low }) => {
          const logEnd = Number(high);
          const logStart = Number(low);
          const committedOffset = committed.get(partition) ?? -1;
          const lag = committedOffset >= 0 ? Math.max(0, logEnd - committedOffset) : logEnd - logStart;
          return { topic, partition, committed: committedOffset, logEnd, lag };
        })
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw new BusError(
        'bus.lag_failed',
        `could not read the lag of group ${groupId} on ${topic}: ${describeClientError(error)}`,
        { groupId, topic },
        error,
      );
    }
  }

  async close(): Promise<void> {
    try {
      await this.#lookup.close();
    } finally {
      this.#onClosed(this);
    }
  }

  async #waitUntil(names: readonly string[], what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.#options.topicReadyTimeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        if (await done()) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) {
        throw new BusError(
          'bus.topics_not_ready',
          `topics ${names.join(', ')} did not ${what} within ${this.#options.topicReadyTimeoutMs} ms` +
            (lastError ? `: ${describeClientError(lastError)}` : ''),
          { topics: names },
          lastError,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  }
}
