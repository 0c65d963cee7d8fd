import { ConnectionPool, Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { BusError } from '../errors.ts';
import type { PartitionBatch, ReaderOptions, TopicReader } from '../types.ts';
import { describeClientError, isUnknownTopic } from './errors.ts';
import { clientOptions, connectionOptions, type ResolvedKafkaBusOptions } from './options.ts';
import { PartitionFetcher } from './partition-fetcher.ts';
import { PartitionStream } from './partition-stream.ts';

const fetchMaxBytes = 16 * 1024 * 1024;
const fetchMaxBytesPerPartition = 1024 * 1024;

/**
 * Reads every partition of one topic from its first record and follows it, by manual
 * assignment: no consumer group is joined or created on the broker and nothing is committed.
 * The fetching is the group consumer's (one loop, a connection pool of its own).
 */
export class KafkaTopicReader implements TopicReader {
  readonly #bus: ResolvedKafkaBusOptions;
  readonly #options: ReaderOptions;
  readonly #onClosed: (reader: KafkaTopicReader) => void;
  readonly #streams: PartitionStream[] = [];
  #client: Consumer | undefined;
  #fetcher: PartitionFetcher | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    bus: ResolvedKafkaBusOptions,
    options: ReaderOptions,
    onClosed: (reader: KafkaTopicReader) => void,
  ) {
    this.#bus = bus;
    this.#options = options;
    this.#onClosed = onClosed;
  }

  async start(onBatch: (batch: PartitionBatch) => Promise<void> | void): Promise<void> {
    if (this.#client)
      throw new BusError('bus.reader_started', `a reader of ${this.#options.topic} starts only once`, {});
    const { topic } = this.#options;
    const base = clientOptions(this.#bus, 'consumer');
    const clientId = this.#options.clientId ?? base.clientId;
    // The client needs a group id to exist; it never joins, so the broker never sees the group.
    const client = new Consumer({ ...base, clientId, groupId: `${clientId}-reader`, autocommit: false });
    this.#client = client;
    try {
      const metadata = await client.metadata({ topics: [topic] });
      const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
      for (let partition = 0; partition < partitions; partition += 1) {
        this.#streams.push(
          new PartitionStream(
            { topic, partition },
            {
              maxBatchRecords: 500,
              deliver: async (batch) => {
                try {
                  await onBatch(batch);
                } catch {
                  // The reader's handler owns its errors; a throw must not stop the partition.
                }
              },
              wantsRecords: () => this.#fetcher?.notify(),
            },
          ),
        );
      }
      this.#fetcher = new PartitionFetcher(
        client,
        new ConnectionPool(`${clientId}-reader`, connectionOptions(this.#bus)),
        {
          maxWaitMs: this.#options.maxWaitMs ?? 500,
          maxBytes: fetchMaxBytes,
          maxBytesPerPartition: fetchMaxBytesPerPartition,
          retryDelayMs: this.#bus.retryDelayMs,
          streams: () => this.#streams,
          onOutOfRange: (stream) => {
            stream.forgetPosition();
            void this.#startAtEarliest([stream]);
          },
        },
      );
      this.#fetcher.start();
      await this.#startAtEarliest(this.#streams);
      for (const stream of this.#streams) stream.markReady();
    } catch (error) {
      await this.close();
      if (isUnknownTopic(error)) {
        throw new BusError('bus.unknown_topic', `topic ${topic} does not exist`, { topic }, error);
      }
      throw new BusError(
        'bus.reader_failed',
        `could not read ${topic}: ${describeClientError(error)}`,
        { topic },
        error,
      );
    }
  }

  async #startAtEarliest(streams: readonly PartitionStream[]): Promise<void> {
    if (!this.#client || streams.length === 0) return;
    const { topic } = this.#options;
    const offsets = await this.#client.listOffsets({
      topics: [topic],
      partitions: { [topic]: streams.map((stream) => stream.partition) },
      timestamp: ListOffsetTimestamps.EARLIEST,
    });
    for (const stream of streams) {
      const offset = offsets.get(topic)?.[stream.partition];
      if (offset !== undefined && offset >= 0n) stream.startAt(offset);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await Promise.all(this.#streams.map((stream) => stream.revoke()));
        await this.#fetcher?.stop();
        await this.#client?.close();
      } finally {
        this.#onClosed(this);
      }
    })();
    return this.#closing;
  }
}
