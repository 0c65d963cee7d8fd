// The Kafka buses are in `@kraul/bus/kafka` (cluster.ts), loaded only by what uses a cluster.
export { type ClusterBusOptions, type KafkaClientName, kafkaClientNames } from './cluster-options.ts';
export * from './errors.ts';
export {
  KAFKA_COMPRESSIONS,
  type KafkaBusOptions,
  type KafkaCompression,
  type KafkaSaslOptions,
  type KafkaTlsOptions,
} from './kafka/options.ts';
export { createMemoryBus, MemoryBus, type MemoryBusOptions } from './memory/memory-bus.ts';
export type { MemoryGroupConsumer } from './memory/memory-consumer.ts';
export { OffsetTracker } from './offset-tracker.ts';
export { partitionFor } from './partitioner.ts';
export type * from './types.ts';
