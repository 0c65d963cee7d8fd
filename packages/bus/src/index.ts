export {
  type ClusterBusOptions,
  createClusterBus,
  type KafkaClientName,
  kafkaClientNames,
} from './cluster-bus.ts';
export * from './errors.ts';
export {
  checkKafkaAccess,
  classifyAccessFailure,
  KafkaAccessError,
  type KafkaAccessProblem,
} from './kafka/access-check.ts';
export { createKafkaBus, KafkaBus } from './kafka/bus.ts';
export {
  KAFKA_COMPRESSIONS,
  type KafkaBusOptions,
  type KafkaCompression,
  type KafkaSaslOptions,
  type KafkaTlsOptions,
} from './kafka/options.ts';
export { createKafkajsBus, KafkajsBus } from './kafkajs/bus.ts';
export { createMemoryBus, MemoryBus, type MemoryBusOptions } from './memory/memory-bus.ts';
export type { MemoryGroupConsumer } from './memory/memory-consumer.ts';
export { OffsetTracker } from './offset-tracker.ts';
export { partitionFor } from './partitioner.ts';
export type * from './types.ts';
