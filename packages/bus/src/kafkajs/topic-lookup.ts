import type { Admin } from 'kafkajs';

export interface TopicShape {
  partitions: number;
  replicationFactor: number;
  underReplicatedPartitions: number;
}

/**
 * Which topics exist and how many partitions each has, asked through a kafkajs admin client.
 * kafkajs answers a metadata request for a missing topic by retrying it for seconds (and, on
 * KRaft, a consumer subscribing to one throws), so existence is checked first with the list of
 * all topics, which never fails for a missing one.
 */
export class TopicLookup {
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  /** The given topics that do not exist. */
  async missing(topics: readonly string[]): Promise<string[]> {
    await this.connect();
    const existing = new Set(await this.#admin.listTopics());
    return topics.filter((topic) => !existing.has(topic));
  }

  /** Partition counts of topics known to exist. */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    return new Map([...(await this.describe(topics))].map(([name, topic]) => [name, topic.partitions]));
  }

  /** Partitions, replicas of the least-replicated one and partitions out of sync, of topics known to exist. */
  async describe(topics: readonly string[]): Promise<Map<string, TopicShape>> {
    await this.connect();
    const metadata = await this.#admin.fetchTopicMetadata({ topics: [...topics] });
    return new Map(
      metadata.topics.map((topic) => [
        topic.name,
        {
          partitions: topic.partitions.length,
          replicationFactor: Math.min(...topic.partitions.map((partition) => partition.replicas.length)),
          underReplicatedPartitions: topic.partitions.filter(
            (partition) => partition.isr.length < partition.replicas.length,
          ).length,
        },
      ]),
    );
  }

  /** A group's committed offsets and metadata on these topics, by `topic:partition`. */
  async committed(
    groupId: string,
    topics: readonly string[],
  ): Promise<Map<string, { offset: number; metadata: string | null }>> {
    await this.connect();
    const fetched = await this.#admin.fetchOffsets({ groupId, topics: [...topics] });
    const offsets = new Map<string, { offset: number; metadata: string | null }>();
    for (const { topic, partitions } of fetched) {
      for (const { partition, offset, metadata } of partitions) {
        offsets.set(`${topic}:${partition}`, { offset: Number(offset), metadata: metadata ?? null });
      }
    }
    return offsets;
  }

  connect(): Promise<void> {
    this.#connected ??= this.#admin.connect().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    });
    return this.#connected;
  }

  async close(): Promise<void> {
    if (this.#connected === undefined) return;
    this.#connected = undefined;
    await this.#admin.disconnect();
  }
}
