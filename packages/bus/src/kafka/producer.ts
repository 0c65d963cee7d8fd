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

/** The sends to one leader broker: those waiting, and whether a request is out. */
interface Lane {
  waiting: WaitingSend[];
  sending: boolean;
}

/** A send (or its part for one leader) waiting for its turn: its records placed, its caller waiting. */
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
  /** Sends waiting for their turn and whether a request is out, per leader broker. */
  readonly #lanes = new Map<number, Lane>();
  readonly #onIdle: (() => void)[] = [];
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
    const metadata = await this.#metadata(records);
    const messages = records.map((record) => this.#place(record, metadata, records));
    // One part per leader broker: a broker that is down holds up only the sends to its partitions.
    const parts = new Map<number, number[]>();
    for (const [index, message] of messages.entries()) {
      const leader = metadata.topics.get(message.topic)?.partitions[message.partition]?.leader ?? -1;
      const part = parts.get(leader);
      if (part) part.push(index);
      else parts.set(leader, [index]);
    }
    if (parts.size === 1) {
      const [leader] = parts.keys();
      return this.#enqueue(leader!, records, messages);
    }
    const placed = await Promise.all(
      [...parts].map(([leader, indexes]) =>
        this.#enqueue(
          leader,
          indexes.map((index) => records[index]!),
          indexes.map((index) => messages[index]!),
        ),
      ),
    );
    const result: RecordMetadata[] = new Array(records.length);
    for (const [n, indexes] of [...parts.values()].entries())
      for (const [at, index] of indexes.entries()) result[index] = placed[n]![at]!;
    return result;
  }

  #enqueue(
    leader: number,
    records: readonly OutgoingRecord[],
    messages: PlacedMessage[],
  ): Promise<RecordMetadata[]> {
    let lane = this.#lanes.get(leader);
    if (!lane) {
      lane = { waiting: [], sending: false };
      this.#lanes.set(leader, lane);
    }
    const queued = lane;
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      queued.waiting.push({ records, messages, resolve, reject });
      this.#sendWaiting(queued);
    });
  }

  /**
   * An idempotent producer has one produce request in flight per broker connection, so sends
   * to one broker queue behind each other. Those that queued while a request was out go
   * together in the next request (up to {@link MAX_BATCH_BYTES}): no added latency when idle,
   * one round trip for many sends when busy (a crawler's pages and a frontier's feed come in
   * bursts). Each leader broker has a lane of its own, so one that does not answer (it died,
   * its partitions not yet moved) holds up no send to the others.
   */
  #sendWaiting(lane: Lane): void {
    if (lane.sending || lane.waiting.length === 0) return;
    const batch: WaitingSend[] = [];
    let bytes = 0;
    while (lane.waiting.length > 0) {
      const next = lane.waiting[0]!;
      const size = sendBytes(next);
      // A large send goes alone: if the broker refuses it for its size, it fails no other.
      const alone = size > MAX_SHARED_SEND_BYTES;
      if (batch.length > 0 && (alone || bytes + size > MAX_BATCH_BYTES)) break;
      batch.push(lane.waiting.shift()!);
      bytes += size;
      if (alone) break;
    }
    lane.sending = true;
    void this.#sendBatch(batch).finally(() => {
      lane.sending = false;
      this.#sendWaiting(lane);
      if (this.#idle()) for (const resolve of this.#onIdle.splice(0)) resolve();
    });
  }

  #idle(): boolean {
    for (const lane of this.#lanes.values()) if (lane.sending || lane.waiting.length > 0) return false;
    return true;
  }

  async #sendBatch(batch: readonly WaitingSend[]): Promise<void> {
    if (batch.length === 1) {
      await this.#sendOne(batch[0]!);
      return;
    }
    const messages = batch.flatMap((send) => send.messages);
    let placed: (RecordMetadata | undefined)[];
    let failure: unknown;
    try {
      placed = offsetsOf(messages, await this.#client.send({ messages }));
    } catch (error) {
      // The request went to each partition's leader: those that answered took their records.
      // A send all of whose partitions did is written (failing it would have its caller send
      // it again, twice on the topic); the others fail, and their callers decide, as with a
      // send of their own. Never sent again here one by one, for the same reason.
      failure = error;
      placed = offsetsOf(messages, (error as { produced?: ProduceResult }).produced ?? {});
    }
    let at = 0;
    for (const send of batch) {
      const own = placed.slice(at, at + send.messages.length);
      at += send.messages.length;
      if (own.every((metadata) => metadata !== undefined)) send.resolve(own);
      else if (failure !== undefined) send.reject(produceFailed(send.records, failure));
      else send.reject(unreported(send, own));
    }
  }

  async #sendOne(send: WaitingSend): Promise<void> {
    try {
      const result = await this.#client.send({ messages: send.messages });
      const placed = offsetsOf(send.messages, result);
      if (placed.every((metadata) => metadata !== undefined)) send.resolve(placed);
      else send.reject(unreported(send, placed));
    } catch (error) {
      send.reject(error instanceof ProduceError ? error : produceFailed(send.records, error));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Sends already accepted go out first.
    while (!this.#idle()) {
      await new Promise<void>((resolve) => this.#onIdle.push(resolve));
    }
    try {
      await this.#client.close();
    } finally {
      this.#onClosed(this);
    }
  }

  #place(record: OutgoingRecord, metadata: ClusterMetadata, batch: readonly OutgoingRecord[]): PlacedMessage {
    const partitions = metadata.topics.get(record.topic)?.partitionsCount ?? 0;
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
   * The topics' metadata from the client's cache: partition counts and leaders. A topic the
   * cluster does not know fails after `unknownTopicTimeoutMs` instead of the client's full
   * retry schedule: with broker auto-create off it will not appear by itself, unless it is
   * being created right now.
   */
  async #metadata(records: readonly OutgoingRecord[]): Promise<ClusterMetadata> {
    const topics = [...new Set(records.map((record) => record.topic))];
    const deadline = Date.now() + this.#options.unknownTopicTimeoutMs;
    for (;;) {
      let metadata: ClusterMetadata | undefined;
      try {
        metadata = await this.#client.metadata({ topics, retries: 0 });
      } catch (error) {
        if (!isUnknownTopic(error)) {
          // Not a missing topic: give the lookup the client's usual retries.
          try {
            metadata = await this.#client.metadata({ topics });
          } catch (retryError) {
            throw isUnknownTopic(retryError)
              ? unknownTopics(records, topics)
              : produceFailed(records, retryError);
          }
        }
      }
      const missing = topics.filter((topic) => (metadata?.topics.get(topic)?.partitionsCount ?? 0) === 0);
      if (metadata && missing.length === 0) return metadata;
      if (Date.now() >= deadline) throw unknownTopics(records, missing);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Each record's offset: its partition's base offset plus its position among that partition's
 * records; undefined for a record whose partition the broker's answer does not report.
 */
function offsetsOf(
  messages: readonly PlacedMessage[],
  result: ProduceResult,
): (RecordMetadata | undefined)[] {
  const baseOffsets = new Map<string, bigint>();
  for (const written of result.offsets ?? []) {
    baseOffsets.set(`${written.topic}:${written.partition}`, written.offset);
  }
  const positions = new Map<string, number>();
  return messages.map((message) => {
    const key = `${message.topic}:${message.partition}`;
    const position = positions.get(key) ?? 0;
    positions.set(key, position + 1);
    const base = baseOffsets.get(key);
    if (base === undefined) return undefined;
    return { topic: message.topic, partition: message.partition, offset: Number(base) + position };
  });
}

/** A send the broker answered without saying where one of its partitions was written. */
function unreported(send: WaitingSend, placed: readonly (RecordMetadata | undefined)[]): ProduceError {
  const index = placed.indexOf(undefined);
  const { topic, partition } = send.messages[index]!;
  return new ProduceError(
    `the broker did not report where partition ${topic}:${partition} was written`,
    send.records,
    { topic, partition },
  );
}
