import { BusError } from '../errors.ts';
import type { Bus, BusAdmin, ConsumerOptions, Producer, ReaderOptions, TopicReader } from '../types.ts';
import { MemoryBroker } from './broker.ts';
import { MemoryAdmin } from './memory-admin.ts';
import { MemoryGroupConsumer } from './memory-consumer.ts';
import { MemoryProducer } from './memory-producer.ts';
import { MemoryTopicReader } from './memory-reader.ts';

export interface MemoryBusOptions {
  /**
   * Largest record a producer may write, counting key, value and header bytes; a bigger
   * one fails its batch with a `ProduceError`, as Kafka's `max.message.bytes` does.
   * Default: 1,048,576 (1 MiB, Kafka's default).
   */
  maxMessageBytes?: number;
  /**
   * Drop the records that every consumer group of a topic has committed past, so a long
   * embedded crawl does not grow without bound. Records go by segments of 1,024 per
   * partition. Compacted topics (`cleanup.policy=compact`) and topics no group has ever
   * subscribed to keep everything, so a group that joins later still reads them from the start.
   * Default: true.
   */
  trimCommitted?: boolean;
  /**
   * Receives the error when a consumer's `onBatch`, `onAssigned` or `onRevoked` throws; the
   * member goes on with the next batch and commits nothing on its own.
   * Default: a process warning.
   */
  onHandlerError?: (error: BusError) => void;
}

const defaultMaxMessageBytes = 1_048_576;

/**
 * The bus of embedded mode: topics, partitions, keyed placement, consumer groups with
 * eager rebalances, commits and lag, all in this process. Roles run on it unchanged.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly broker: MemoryBroker;
  private readonly producers = new Set<MemoryProducer>();
  private readonly consumers = new Set<MemoryGroupConsumer>();
  private readonly admins = new Set<MemoryAdmin>();
  private readonly readers = new Set<MemoryTopicReader>();
  private closing: Promise<void> | undefined;

  constructor(options: MemoryBusOptions = {}) {
    const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1) {
      throw new BusError('bus.invalid_options', 'maxMessageBytes must be a positive integer', {
        maxMessageBytes,
      });
    }
    this.broker = new MemoryBroker({
      maxMessageBytes,
      trimCommitted: options.trimCommitted ?? true,
      onHandlerError: options.onHandlerError ?? ((error) => process.emitWarning(error)),
    });
  }

  /** `clientId` names a Kafka client in broker logs; the memory bus has no use for it. */
  producer(_options?: { clientId?: string }): Producer {
    this.assertOpen();
    const producer = new MemoryProducer(this.broker, (closed) => this.producers.delete(closed));
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): MemoryGroupConsumer {
    this.assertOpen();
    const consumer = new MemoryGroupConsumer(this.broker, options, (closed) => this.consumers.delete(closed));
    this.consumers.add(consumer);
    return consumer;
  }

  reader(options: ReaderOptions): TopicReader {
    this.assertOpen();
    const reader = new MemoryTopicReader(this.broker, options, (closed) => this.readers.delete(closed));
    this.readers.add(reader);
    return reader;
  }

  admin(): BusAdmin {
    this.assertOpen();
    const admin = new MemoryAdmin(this.broker, (closed) => this.admins.delete(closed));
    this.admins.add(admin);
    return admin;
  }

  /**
   * The offsets a partition still holds: `start` moves up as retention drops records,
   * `end` is the offset of the next record.
   */
  logRange(topic: string, partition: number): { start: number; end: number } {
    const log = this.broker.requireTopic(topic).logs[partition];
    if (log === undefined) {
      throw new BusError('bus.unknown_partition', `topic ${topic} has no partition ${partition}`, {
        topic,
        partition,
      });
    }
    return { start: log.startOffset, end: log.endOffset };
  }

  /** Closes consumers (each revokes and leaves), then producers (after their pending writes), then the rest. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private assertOpen(): void {
    this.broker.assertOpen();
    if (this.closing !== undefined) throw new BusError('bus.closed', 'the memory bus is closing');
  }

  private async closeAll(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    await Promise.all([...this.readers].map((reader) => reader.close()));
    await Promise.all([...this.producers].map((producer) => producer.close()));
    await Promise.all([...this.admins].map((admin) => admin.close()));
    this.broker.close();
  }
}

/** A fresh, empty memory bus. */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  return new MemoryBus(options);
}
