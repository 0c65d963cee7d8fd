/**
 * `@kraul/bus/kafka`: the buses on a Kafka cluster. Apart from the core (`@kraul/bus`) because
 * the Kafka clients take half a second and 50 MB to load, which a crawl on the in-memory bus
 * (`kraul run`) never needs.
 */
export { createClusterBus } from './cluster-bus.ts';
export {
  checkKafkaAccess,
  classifyAccessFailure,
  KafkaAccessError,
  type KafkaAccessProblem,
} from './kafka/access-check.ts';
export { createKafkaBus, KafkaBus } from './kafka/bus.ts';
export { createKafkajsBus, KafkajsBus } from './kafkajs/bus.ts';
