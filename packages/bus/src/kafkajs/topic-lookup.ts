import type { Admin } from 'kafkajs';

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
    await this.connect();
    const metadata = await this.#admin.fetchTopicMetadata({ topics: [...topics] });
    return new Map(metadata.topics.map((topic) => [topic.name, topic.partitions.length]));
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
