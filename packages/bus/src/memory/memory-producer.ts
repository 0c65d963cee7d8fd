import { ProduceError } from '../errors.ts';
import { partitionFor } from '../partitioner.ts';
import type { OutgoingRecord, Producer, RecordMetadata } from '../types.ts';
import type { MemoryBroker } from './broker.ts';
import type { MemoryTopic } from './memory-topic.ts';
import type { PartitionLog } from './partition-log.ts';

interface Placement {
  topic: MemoryTopic;
  partition: number;
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string>;
  decoded: unknown;
}

interface PendingSend {
  records: readonly OutgoingRecord[];
  placement: Placement[];
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: ProduceError) => void;
}

/**
 * Writes records to the memory bus. A batch is checked whole before anything is written
 * (missing topic, unknown partition, record over `maxMessageBytes`), so a rejected batch
 * wrote nothing. Sends queued in the same turn are appended together on the next one, in
 * order; `send` resolves only after its records are in the log.
 */
export class MemoryProducer implements Producer {
  private readonly broker: MemoryBroker;
  private readonly onClosed: (producer: MemoryProducer) => void;
  private queue: PendingSend[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private flushed: Promise<void> | undefined;
  private markFlushed: (() => void) | undefined;
  private closed = false;

  constructor(broker: MemoryBroker, onClosed: (producer: MemoryProducer) => void) {
    this.broker = broker;
    this.onClosed = onClosed;
  }

  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.broker.closed) {
        reject(new ProduceError('the producer is closed', records, { reason: 'closed' }));
        return;
      }
      try {
        const placement = records.map((record) => this.place(record, records));
        this.queue.push({ records, placement, resolve, reject });
        this.scheduleFlush();
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Stops taking records and resolves once everything already sent is written. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushed;
    this.onClosed(this);
  }

  private place(record: OutgoingRecord, batch: readonly OutgoingRecord[]): Placement {
    const { topic, partition } = this.partitionOf(record, batch);
    // Copies, as a client serialising the record would: the caller may reuse its buffers once `send` returns.
    return {
      topic,
      partition,
      key: record.key,
      value: new Uint8Array(record.value),
      headers: { ...record.headers },
      decoded: record.decoded,
    };
  }

  private partitionOf(
    record: OutgoingRecord,
    batch: readonly OutgoingRecord[],
  ): { topic: MemoryTopic; partition: number } {
    const topic = this.broker.topic(record.topic);
    if (topic === undefined) {
      throw new ProduceError(`topic ${record.topic} does not exist`, batch, {
        topic: record.topic,
        reason: 'unknown_topic',
      });
    }
    const invalid = invalidField(record);
    if (invalid !== undefined) {
      throw new ProduceError(`a record's ${invalid}`, batch, {
        topic: record.topic,
        reason: 'invalid_record',
      });
    }
    const size = recordSize(record);
    const { maxMessageBytes } = this.broker.settings;
    if (size > maxMessageBytes) {
      throw new ProduceError(`a record of ${size} bytes exceeds the ${maxMessageBytes} bytes limit`, batch, {
        topic: record.topic,
        size,
        maxMessageBytes,
        reason: 'record_too_large',
      });
    }
    if (record.partition === undefined)
      return { topic, partition: partitionFor(record.key, topic.partitions) };
    if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= topic.partitions) {
      throw new ProduceError(`topic ${record.topic} has no partition ${record.partition}`, batch, {
        topic: record.topic,
        partition: record.partition,
        reason: 'unknown_partition',
      });
    }
    return { topic, partition: record.partition };
  }

  private scheduleFlush(): void {
    if (this.flushing !== undefined) return;
    this.flushed = new Promise((resolve) => {
      this.markFlushed = resolve;
    });
    this.flushing = setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = undefined;
    const queue = this.queue;
    this.queue = [];
    const touched = new Set<PartitionLog>();
    for (const send of queue) {
      // A topic deleted (or deleted and created again) since `send` fails the batch.
      const gone = send.placement.find(({ topic }) => this.broker.topic(topic.name) !== topic);
      if (gone !== undefined || this.broker.closed) {
        send.reject(
          new ProduceError(`topic ${gone?.topic.name ?? ''} is gone or the bus closed`, send.records, {
            topic: gone?.topic.name,
            reason: this.broker.closed ? 'closed' : 'unknown_topic',
          }),
        );
        continue;
      }
      const timestamp = Date.now();
      const metadata = send.placement.map(
        ({ topic, partition, key, value, headers, decoded }): RecordMetadata => {
          const log = topic.logs[partition]!;
          touched.add(log);
          const offset = log.append({ key, value, headers, timestamp, decoded });
          return { topic: topic.name, partition, offset };
        },
      );
      send.resolve(metadata);
    }
    for (const log of touched) log.notifyAppended();
    this.markFlushed?.();
  }
}

function invalidField(record: OutgoingRecord): string | undefined {
  if (!(record.value instanceof Uint8Array)) return 'value must be bytes (a Uint8Array)';
  if (record.key !== null && typeof record.key !== 'string') return 'key must be a string or null';
  for (const value of Object.values(record.headers ?? {})) {
    if (typeof value !== 'string') return 'header values must be strings';
  }
  return undefined;
}

/** Key, value and header bytes: what Kafka's `max.message.bytes` mostly counts. */
function recordSize(record: OutgoingRecord): number {
  let size = record.value.byteLength;
  if (record.key !== null) size += Buffer.byteLength(record.key, 'utf8');
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return size;
}
