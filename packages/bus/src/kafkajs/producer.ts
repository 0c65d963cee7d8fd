import type {
  Kafka,
  Producer as KafkajsClientProducer,
  Message,
  RecordMetadata as SentPartition,
} from 'kafkajs';
import { ProduceError } from '../errors.ts';
import type { ResolvedKafkaBusOptions } from '../kafka/options.ts';
import { keyBytes } from '../kafka/records.ts';
import { partitionFor } from '../partitioner.ts';
import type { OutgoingRecord, Producer, RecordMetadata } from '../types.ts';
import { compressionType } from './compression.ts';
import { produceFailed, unknownTopics } from './errors.ts';
import { TopicLookup } from './topic-lookup.ts';

/** acks=all: every in-sync replica has the batch before `send` resolves. */
const ACKS_ALL = -1;

interface PlacedMessage extends Message {
  partition: number;
}

/**
 * acks=all, idempotent by default, every keyed record placed where Java's client puts its key
 * (kraul's own murmur2 partitioner, as the default bus does). The partition is set on each
 * message before kafkajs sees it, so each record's offset can be read back from the
 * per-partition base offsets of the broker's answer.
 */
export class KafkajsProducer implements Producer {
  readonly #client: KafkajsClientProducer;
  readonly #lookup: TopicLookup;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #onClosed: (producer: KafkajsProducer) => void;
  /** Partition counts of topics seen to exist, refreshed every `metadataMaxAgeMs`. */
  readonly #partitionCounts = new Map<string, { partitions: number; at: number }>();
  #connected: Promise<void> | undefined;
  #closed = false;

  constructor(kafka: Kafka, options: ResolvedKafkaBusOptions, onClosed: (producer: KafkajsProducer) => void) {
    this.#options = options;
    this.#onClosed = onClosed;
    this.#client = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: options.idempotent,
      // kafkajs keeps order and exactly-once writes of an idempotent producer only with one
      // request in flight per broker.
      ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
      // Every message carries the partition `#place` chose; kafkajs's partitioners are not used.
      createPartitioner: () => placedPartition,
    });
    this.#lookup = new TopicLookup(kafka.admin());
  }

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    if (this.#closed) throw new ProduceError('the producer is closed', records, { reason: 'closed' });
    let sent: SentPartition[];
    let messages: Map<string, PlacedMessage[]>;
    try {
      await this.#connect();
      const counts = await this.#partitionCountsOf(records);
      messages = this.#place(records, counts);
    } catch (error) {
      if (error instanceof ProduceError) throw error;
      throw produceFailed(records, error);
    }
    try {
      sent = await this.#client.sendBatch({
        acks: ACKS_ALL,
        compression: compressionType(this.#options.compression),
        timeout: this.#options.requestTimeoutMs,
        topicMessages: [...messages].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    } catch (error) {
      throw produceFailed(records, error);
    }
    return recordMetadata(records, messages, sent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#connected !== undefined) await this.#client.disconnect();
      await this.#lookup.close();
    } finally {
      this.#onClosed(this);
    }
  }

  #connect(): Promise<void> {
    this.#connected ??= this.#client.connect().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    });
    return this.#connected;
  }

  #place(records: readonly OutgoingRecord[], counts: Map<string, number>): Map<string, PlacedMessage[]> {
    const byTopic = new Map<string, PlacedMessage[]>();
    for (const record of records) {
      const partitions = counts.get(record.topic) ?? 0;
      const partition = record.partition ?? partitionFor(record.key, partitions);
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        throw new ProduceError(
          `topic ${record.topic} has no partition ${partition} (it has ${partitions})`,
          records,
          { topic: record.topic, partition, reason: 'unknown_partition' },
        );
      }
      const message: PlacedMessage = {
        partition,
        key: record.key === null ? null : keyBytes(record.key),
        value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        headers: { ...record.headers },
      };
      const list = byTopic.get(record.topic) ?? [];
      list.push(message);
      byTopic.set(record.topic, list);
    }
    return byTopic;
  }

  /**
   * Partition counts of the batch's topics. A topic the cluster does not list fails after
   * `unknownTopicTimeoutMs`: with broker auto-create off it will not appear by itself, unless
   * it is being created right now.
   */
  async #partitionCountsOf(records: readonly OutgoingRecord[]): Promise<Map<string, number>> {
    const topics = [...new Set(records.map((record) => record.topic))];
    const now = Date.now();
    const stale = topics.filter((topic) => {
      const known = this.#partitionCounts.get(topic);
      return known === undefined || now - known.at > metadataMaxAgeMs;
    });
    if (stale.length > 0) {
      const deadline = Date.now() + this.#options.unknownTopicTimeoutMs;
      for (;;) {
        const missing = await this.#lookup.missing(stale);
        if (missing.length === 0) break;
        if (Date.now() >= deadline) throw unknownTopics(records, missing);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const [topic, partitions] of await this.#lookup.partitionCounts(stale)) {
        this.#partitionCounts.set(topic, { partitions, at: now });
      }
    }
    return new Map(topics.map((topic) => [topic, this.#partitionCounts.get(topic)?.partitions ?? 0]));
  }
}

function placedPartition({ message }: { message: Message }): number {
  return message.partition ?? 0;
}

/** How long a topic's partition count is trusted before it is asked again (kafkajs's metadata max age). */
const metadataMaxAgeMs = 300_000;

/** Each record's offset: its partition's base offset plus its position among that partition's records. */
function recordMetadata(
  records: readonly OutgoingRecord[],
  messages: Map<string, PlacedMessage[]>,
  sent: readonly SentPartition[],
): RecordMetadata[] {
  const baseOffsets = new Map<string, number>();
  for (const written of sent) {
    const base = written.baseOffset ?? written.offset;
    if (base !== undefined) baseOffsets.set(`${written.topicName}:${written.partition}`, Number(base));
  }
  const positions = new Map<string, number>();
  const placed = new Map<string, PlacedMessage[]>([...messages].map(([topic, list]) => [topic, [...list]]));
  return records.map((record) => {
    const message = placed.get(record.topic)!.shift()!;
    const key = `${record.topic}:${message.partition}`;
    const base = baseOffsets.get(key);
    if (base === undefined) {
      // kafkajs can resolve a send whose answer lacks a partition (seen when that partition's
      // leader died mid-request; its issue 1303): those records may never have been written.
      // Taken as acknowledged, they would be lost without a word; reported, the caller sends them again.
      throw new ProduceError(
        `kafkajs reported the batch written, but no broker acknowledged partition ${key}: its records may be missing; send the batch again`,
        records,
        { topic: record.topic, partition: message.partition, reason: 'unacknowledged_partition' },
      );
    }
    const position = positions.get(key) ?? 0;
    positions.set(key, position + 1);
    return { topic: record.topic, partition: message.partition, offset: base + position };
  });
}
