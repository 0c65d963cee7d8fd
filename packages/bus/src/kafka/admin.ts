import { Admin, type ClusterMetadata, ConfigResourceTypes, ListOffsetTimestamps } from '@platformatic/kafka';
import { BusError } from '../errors.ts';
import type { BusAdmin, PartitionLag, TopicDescription, TopicSpec } from '../types.ts';
import { describeClientError, hasKafkaError, isUnknownTopic } from './errors.ts';
import { clientOptions, type ResolvedKafkaBusOptions } from './options.ts';

const pollIntervalMs = 100;

export class KafkaAdmin implements BusAdmin {
  readonly #client: Admin;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #onClosed: (admin: KafkaAdmin) => void;

  constructor(options: ResolvedKafkaBusOptions, onClosed: (admin: KafkaAdmin) => void) {
    this.#options = options;
    this.#onClosed = onClosed;
    this.#client = new Admin(clientOptions(options, 'admin'));
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    await Promise.all(
      topics.map(async (spec) => {
        try {
          await this.#client.createTopics({
            topics: [spec.name],
            partitions: spec.partitions,
            replicas: spec.replicationFactor ?? 1,
            configs: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
          });
        } catch (error) {
          if (hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) return;
          throw new BusError(
            'bus.create_topic_failed',
            `could not create topic ${spec.name}: ${describeClientError(error)}`,
            { topic: spec.name, partitions: spec.partitions },
            error,
          );
        }
      }),
    );
    // A created topic is usable only once every partition has a leader, and on a cluster
    // of several brokers the metadata reaches them one after the other.
    const names = topics.map((spec) => spec.name);
    await this.#waitUntil(names, 'have a leader for every partition', async () => {
      const metadata = await this.#client.metadata({ topics: names, forceUpdate: true, retries: 0 });
      return names.every((name) =>
        metadata.topics
          .get(name)
          ?.partitions.every((partition) => partition !== undefined && partition.leader >= 0),
      );
    });
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    let metadata: ClusterMetadata;
    try {
      metadata = await this.#client.metadata({ topics: [...names], forceUpdate: true });
    } catch (error) {
      if (isUnknownTopic(error)) {
        throw new BusError(
          'bus.unknown_topic',
          `topic does not exist: ${describeClientError(error)}`,
          { topics: names },
          error,
        );
      }
      throw new BusError(
        'bus.metadata_failed',
        `could not describe ${names.join(', ')}: ${describeClientError(error)}`,
        { topics: names },
        error,
      );
    }
    return names.map((name) => {
      const topic = metadata.topics.get(name);
      const partitions = (topic?.partitions ?? []).filter((partition) => partition !== undefined);
      if (!topic || partitions.length === 0) return { name, partitions: topic?.partitionsCount ?? 0 };
      return {
        name,
        partitions: topic.partitionsCount,
        replicationFactor: Math.min(...partitions.map((partition) => partition.replicas.length)),
        underReplicatedPartitions: partitions.filter(
          (partition) => partition.isr.length < partition.replicas.length,
        ).length,
      };
    });
  }

  async brokerCount(): Promise<number> {
    try {
      const metadata = await this.#client.metadata({ topics: [], forceUpdate: true });
      return metadata.brokers.size;
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
      const described = await this.#client.describeConfigs({
        resources: names.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName })),
      });
      const configs = new Map<string, Record<string, string>>();
      for (const resource of described) {
        const values: Record<string, string> = {};
        for (const config of resource.configs)
          if (typeof config.value === 'string') values[config.name] = config.value;
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
      await this.#client.deleteTopics({ topics: [...names] });
    } catch (error) {
      if (!hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) {
        throw new BusError(
          'bus.delete_topic_failed',
          `could not delete ${names.join(', ')}: ${describeClientError(error)}`,
          { topics: names },
          error,
        );
      }
    }
    // Deletion completes in the background: wait until no broker answers for the topics, so a
    // topic of the same name can be created right after.
    await this.#waitUntil(names, 'disappear', async () => {
      for (const name of names) {
        try {
          await this.#client.metadata({ topics: [name], forceUpdate: true, retries: 0 });
          return false;
        } catch (error) {
          if (!isUnknownTopic(error)) throw error;
        }
      }
      return true;
    });
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    const [description] = await this.describeTopics([topic]);
    const partitionIndexes = Array.from({ length: description?.partitions ?? 0 }, (_, index) => index);
    try {
      const [groups, ends, starts] = await Promise.all([
        this.#client.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }],
        }),
        this.#listOffsets(topic, partitionIndexes, ListOffsetTimestamps.LATEST),
        this.#listOffsets(topic, partitionIndexes, ListOffsetTimestamps.EARLIEST),
      ]);
      const committed = new Map<number, number>();
      for (const group of groups) {
        for (const committedTopic of group.topics) {
          if (committedTopic.name !== topic) continue;
          for (const partition of committedTopic.partitions) {
            committed.set(partition.partitionIndex, Number(partition.committedOffset));
          }
        }
      }
      return partitionIndexes.map((partition) => {
        const logEnd = ends.get(partition) ?? 0;
        const logStart = starts.get(partition) ?? 0;
        const committedOffset = committed.get(partition) ?? -1;
        const lag = committedOffset >= 0 ? Math.max(0, logEnd - committedOffset) : logEnd - logStart;
        return { topic, partition, committed: committedOffset, logEnd, lag };
      });
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
      await this.#client.close();
    } finally {
      this.#onClosed(this);
    }
  }

  async #listOffsets(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, number>> {
    const listed = await this.#client.listOffsets({
      topics: [
        { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) },
      ],
    });
    const offsets = new Map<number, number>();
    for (const listedTopic of listed) {
      for (const partition of listedTopic.partitions)
        offsets.set(partition.partitionIndex, Number(partition.offset));
    }
    return offsets;
  }

  async #waitUntil(names: readonly string[], what: string, done: () => Promise<boolean>): Promise<void> {
    if (names.length === 0) return;
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
