import {
  type ClusterMetadata,
  Producer as KafkaClientProducer,
  ProduceAcks,
  type ProduceResult,
} from '@platformatic/kafka';
import { ProduceError } from '../errors.ts';
import { partitionFor } from '../partitioner.ts';
import type { OutgoingRecord, Producer, RecordMetadata } from '../types.ts';
import { isUnknownTopic, produceFailed, unknownTopics } from './errors.ts';
import { clientOptions, type ResolvedKafkaBusOptions } from './options.ts';
import { keyBytes } from './records.ts';

interface PlacedMessage {
  topic: string;
  partition: number;
  key: Buffer | undefined;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
}

/**
 * Sends that queued behind a produce request in flight go in one request up to this many
 * value bytes: half the brokers' default message.max.bytes (1 MiB), so a merged request is
 * never refused for its size where each send alone would pass.
 */
const MAX_BATCH_BYTES = 512 * 1024;
/** A send larger than this is never merged with others. */
const MAX_SHARED_SEND_BYTES = 64 * 1024;

function sendBytes(send: WaitingSend): number {
  let bytes = 0;
  for (const message of send.messages) bytes += message.value.length + (message.key?.length ?? 0);
  return bytes;
}

/** A send waiting for its turn: its records placed, its caller waiting. */
interface WaitingSend {
  records: readonly OutgoingRecord[];
  messages: PlacedMessage[];
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/**
 * acks=all, idempotent by default, every keyed record placed where Java's client puts its key.
 * The partition is computed here (not by the client's partitioner) so each record's offset can
 * be read back from the per-partition base offsets of the broker's answer.
 */
export class KafkaProducer implements Producer {
  readonly #client: KafkaClientProducer;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #onClosed: (producer: KafkaProducer) => void;
  readonly #waiting: WaitingSend[] = [];
  readonly #onIdle: (() => void)[] = [];
  #sending = false;
  #closed = false;

  constructor(
    options: ResolvedKafkaBusOptions,
    clientId: string | undefined,
    onClosed: (producer: KafkaProducer) => void,
  ) {
    this.#options = options;
    this.#onClosed = onClosed;
    const base = clientOptions(options, 'producer');
    this.#client = new KafkaClientProducer({
      ...base,
      clientId: clientId ?? base.clientId,
      // The client turns an idempotent producer's retries of 0 or 1 into "retry forever": a
      // send must fail in the end so the caller decides, hence at least 2.
      retries: options.idempotent ? Math.max(options.retries, 2) : options.retries,
      acks: ProduceAcks.ALL,
      idempotent: options.idempotent,
      compression: options.compression,
    });
  }

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    if (this.#closed) throw new ProduceError('the producer is closed', records, { reason: 'closed' });
    const partitionCounts = await this.#partitionCounts(records);
    const messages = records.map((record) => this.#place(record, partitionCounts, records));
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.#waiting.push({ records, messages, resolve, reject });
      this.#sendWaiting();
    });
  }

  /**
   * An idempotent producer has one produce request in flight per broker connection, so sends
   * queue behind each other. Those that queued while a request was out go together in the
   * next request (up to {@link MAX_BATCH_BYTES}): no added latency when idle, one round trip
   * for many sends when busy (a crawler's pages and a frontier's feed come in bursts).
   */
  #sendWaiting(): void {
    if (this.#sending || this.#waiting.length === 0) return;
    const batch: WaitingSend[] = [];
    let bytes = 0;
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!;
      const size = sendBytes(next);
      // A large send goes alone: if the broker refuses it for its size, it fails no other.
      const alone = size > MAX_SHARED_SEND_BYTES;
      if (batch.length > 0 && (alone || bytes + size > MAX_BATCH_BYTES)) break;
      batch.push(this.#waiting.shift()!);
      bytes += size;
      if (alone) break;
    }
    this.#sending = true;
    void this.#sendBatch(batch).finally(() => {
      this.#sending = false;
      this.#sendWaiting();
      if (!this.#sending) for (const resolve of this.#onIdle.splice(0)) resolve();
    });
  }

  async #sendBatch(batch: readonly WaitingSend[]): Promise<void> {
    if (batch.length === 1) {
      await this.#sendOne(batch[0]!);
      return;
    }
    const messages = batch.flatMap((send) => send.messages);
    let metadata: RecordMetadata[];
    try {
      const result = await this.#client.send({ messages });
      metadata = recordMetadata(
        messages,
        result,
        batch.flatMap((send) => send.records),
      );
    } catch (error) {
      // Not sent again one by one: the partitions that did take their records would then
      // hold them twice. Each caller decides, as with a send of its own that failed.
      for (const send of batch) send.reject(produceFailed(send.records, error));
      return;
    }
    let at = 0;
    for (const send of batch) {
      send.resolve(metadata.slice(at, at + send.messages.length));
      at += send.messages.length;
    }
  }

  async #sendOne(send: WaitingSend): Promise<void> {
    try {
      const result = await this.#client.send({ messages: send.messages });
      send.resolve(recordMetadata(send.messages, result, send.records));
    } catch (error) {
      send.reject(error instanceof ProduceError ? error : produceFailed(send.records, error));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Sends already accepted go out first.
    while (this.#sending || this.#waiting.length > 0) {
      await new Promise<void>((resolve) => this.#onIdle.push(resolve));
    }
    try {
      await this.#client.close();
    } finally {
      this.#onClosed(this);
    }
  }

  #place(
    record: OutgoingRecord,
    partitionCounts: Map<string, number>,
    batch: readonly OutgoingRecord[],
  ): PlacedMessage {
    const partitions = partitionCounts.get(record.topic) ?? 0;
    // Unkeyed records spread round-robin, as Kafka's clients do.
    const partition = record.partition ?? partitionFor(record.key, partitions);
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
      throw new ProduceError(
        `topic ${record.topic} has no partition ${partition} (it has ${partitions})`,
        batch,
        {
          topic: record.topic,
          partition,
          reason: 'unknown_partition',
        },
      );
    }
    const headers = new Map<Buffer, Buffer>();
    for (const [name, value] of Object.entries(record.headers ?? {})) {
      headers.set(Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8'));
    }
    return {
      topic: record.topic,
      partition,
      key: record.key === null ? undefined : keyBytes(record.key),
      value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
      headers,
    };
  }

  /**
   * Partition counts from the client's metadata cache. A topic the cluster does not know fails
   * after `unknownTopicTimeoutMs` instead of the client's full retry schedule: with broker
   * auto-create off it will not appear by itself, unless it is being created right now.
   */
  async #partitionCounts(records: readonly OutgoingRecord[]): Promise<Map<string, number>> {
    const topics = [...new Set(records.map((record) => record.topic))];
    const deadline = Date.now() + this.#options.unknownTopicTimeoutMs;
    for (;;) {
      let counts: Map<string, number>;
      try {
        counts = partitionCountsOf(topics, await this.#client.metadata({ topics, retries: 0 }));
      } catch (error) {
        if (!isUnknownTopic(error)) {
          // Not a missing topic: give the lookup the client's usual retries.
          try {
            counts = partitionCountsOf(topics, await this.#client.metadata({ topics }));
          } catch (retryError) {
            throw isUnknownTopic(retryError)
              ? unknownTopics(records, topics)
              : produceFailed(records, retryError);
          }
        } else {
          counts = new Map();
        }
      }
      const missing = topics.filter((topic) => (counts.get(topic) ?? 0) === 0);
      if (missing.length === 0) return counts;
      if (Date.now() >= deadline) throw unknownTopics(records, missing);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function partitionCountsOf(topics: readonly string[], metadata: ClusterMetadata): Map<string, number> {
  return new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 0]));
}

/** Each record's offset: its partition's base offset plus its position among that partition's records. */
function recordMetadata(
  messages: readonly PlacedMessage[],
  result: ProduceResult,
  records: readonly OutgoingRecord[],
): RecordMetadata[] {
  const baseOffsets = new Map<string, bigint>();
  for (const written of result.offsets ?? []) {
    baseOffsets.set(`${written.topic}:${written.partition}`, written.offset);
  }
  const positions = new Map<string, number>();
  return messages.map((message) => {
    const key = `${message.topic}:${message.partition}`;
    const base = baseOffsets.get(key);
    if (base === undefined) {
      throw new ProduceError(`the broker did not report where partition ${key} was written`, records, {
        topic: message.topic,
        partition: message.partition,
      });
    }
    const position = positions.get(key) ?? 0;
    positions.set(key, position + 1);
    return { topic: message.topic, partition: message.partition, offset: Number(base) + position };
  });
}
