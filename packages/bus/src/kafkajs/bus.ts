import type { Kafka } from 'kafkajs';
import { BusError } from '../errors.ts';
import {
  type KafkaBusOptions,
  type ResolvedKafkaBusOptions,
  resolveKafkaBusOptions,
} from '../kafka/options.ts';
import { KafkaTopicReader } from '../kafka/topic-reader.ts';
import type {
  Bus,
  BusAdmin,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  ReaderOptions,
  TopicReader,
} from '../types.ts';
import { KafkajsAdmin } from './admin.ts';
import { createKafkajsClient } from './client.ts';
import { KafkajsGroupConsumer } from './consumer.ts';
import { KafkajsProducer } from './producer.ts';

/**
 * The bus of a cluster on kafkajs 2.2.4, the Node.js Kafka client many users know. Same
 * options and contract as the default bus (@platformatic/kafka); choose it knowingly: in a
 * leader failover kafkajs acknowledged records it then lost (docs/kafka-clients.md).
 */
export class KafkajsBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #kafka: Kafka;
  readonly #producers = new Set<KafkajsProducer>();
  readonly #consumers = new Set<KafkajsGroupConsumer>();
  readonly #admins = new Set<KafkajsAdmin>();
  readonly #readers = new Set<KafkaTopicReader>();
  #closing: Promise<void> | undefined;

  constructor(options: KafkaBusOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new BusError('bus.invalid_options', 'a Kafka bus needs at least one bootstrap broker', {});
    }
    this.#options = resolveKafkaBusOptions(options);
    this.#kafka = createKafkajsClient(this.#options);
  }

  producer(options?: { clientId?: string }): Producer {
    this.#assertOpen();
    const kafka =
      options?.clientId === undefined
        ? this.#kafka
        : createKafkajsClient({ ...this.#options, clientId: options.clientId });
    const producer = new KafkajsProducer(kafka, this.#options, (closed) => this.#producers.delete(closed));
    this.#producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    this.#assertOpen();
    const kafka =
      options.clientId === undefined
        ? this.#kafka
        : createKafkajsClient({ ...this.#options, clientId: options.clientId });
    const consumer = new KafkajsGroupConsumer(kafka, this.#options, options, (closed) =>
      this.#consumers.delete(closed),
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  /**
   * kafkajs has no consumer outside a group (every kafkajs consumer joins one, and leaves it
   * on the broker): a whole-topic reader comes from the default client, @platformatic/kafka,
   * with the same connection settings, so reading the jobs topic leaves no group behind.
   */
  reader(options: ReaderOptions): TopicReader {
    this.#assertOpen();
    const reader = new KafkaTopicReader(this.#options, options, (closed) => this.#readers.delete(closed));
    this.#readers.add(reader);
    return reader;
  }

  admin(): BusAdmin {
    this.#assertOpen();
    const admin = new KafkajsAdmin(this.#kafka, this.#options, (closed) => this.#admins.delete(closed));
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

export function createKafkajsBus(options: KafkaBusOptions): KafkajsBus {
  return new KafkajsBus(options);
}
