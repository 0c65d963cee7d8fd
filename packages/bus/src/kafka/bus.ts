import { BusError } from '../errors.ts';
import type {
  Bus,
  BusAdmin,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  ReaderOptions,
  TopicReader,
} from '../types.ts';
import { KafkaAdmin } from './admin.ts';
import { KafkaGroupConsumer } from './consumer.ts';
import { type KafkaBusOptions, type ResolvedKafkaBusOptions, resolveKafkaBusOptions } from './options.ts';
import { KafkaProducer } from './producer.ts';
import { KafkaTopicReader } from './topic-reader.ts';

/** The bus of a cluster: every producer, consumer and admin is a @platformatic/kafka client. */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #producers = new Set<KafkaProducer>();
  readonly #consumers = new Set<KafkaGroupConsumer>();
  readonly #admins = new Set<KafkaAdmin>();
  readonly #readers = new Set<KafkaTopicReader>();
  #closing: Promise<void> | undefined;

  constructor(options: KafkaBusOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new BusError('bus.invalid_options', 'a Kafka bus needs at least one bootstrap broker', {});
    }
    this.#options = resolveKafkaBusOptions(options);
  }

  producer(options?: { clientId?: string }): Producer {
    this.#assertOpen();
    const producer = new KafkaProducer(this.#options, options?.clientId, (closed) =>
      this.#producers.delete(closed),
    );
    this.#producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    this.#assertOpen();
    const consumer = new KafkaGroupConsumer(this.#options, options, (closed) =>
      this.#consumers.delete(closed),
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  reader(options: ReaderOptions): TopicReader {
    this.#assertOpen();
    const reader = new KafkaTopicReader(this.#options, options, (closed) => this.#readers.delete(closed));
    this.#readers.add(reader);
    return reader;
  }

  admin(): BusAdmin {
    this.#assertOpen();
    const admin = new KafkaAdmin(this.#options, (closed) => this.#admins.delete(closed));
    this.#admins.add(admin);
    return admin;
  }

  /** Closes consumers (each revokes and leaves the group), then producers, then admins. */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new BusError('bus.closed', 'the Kafka bus is closed');
  }

  async #closeAll(): Promise<void> {
    await Promise.all([...this.#consumers].map((consumer) => consumer.close()));
    await Promise.all([...this.#readers].map((reader) => reader.close()));
    await Promise.all([...this.#producers].map((producer) => producer.close()));
    await Promise.all([...this.#admins].map((admin) => admin.close()));
  }
}

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  return new KafkaBus(options);
}
