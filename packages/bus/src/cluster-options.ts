import type { KafkaBusOptions } from './kafka/options.ts';

/**
 * The Kafka clients a cluster bus can run on. `platformatic` (@platformatic/kafka) is the
 * default: it lost no acknowledged record when a partition leader died. `kafkajs` is there for
 * teams that standardise on it; it did lose acknowledged records in that test.
 */
export const kafkaClientNames = ['platformatic', 'kafkajs'] as const;
export type KafkaClientName = (typeof kafkaClientNames)[number];

export interface ClusterBusOptions extends KafkaBusOptions {
  /** Default: 'platformatic'. */
  client?: KafkaClientName;
}
