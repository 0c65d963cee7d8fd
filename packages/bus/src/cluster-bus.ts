import { BusError } from './errors.ts';
import { createKafkaBus } from './kafka/bus.ts';
import type { KafkaBusOptions } from './kafka/options.ts';
import { createKafkajsBus } from './kafkajs/bus.ts';
import type { Bus } from './types.ts';

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

/** A bus on the Kafka cluster, on the client `options.client` names. */
export function createClusterBus(options: ClusterBusOptions): Bus {
  const { client = 'platformatic', ...busOptions } = options;
  switch (client) {
    case 'platformatic':
      return createKafkaBus(busOptions);
    case 'kafkajs':
      return createKafkajsBus(busOptions);
    default:
      throw new BusError(
        'bus.invalid_options',
        `unknown Kafka client ${String(client)}: expected ${kafkaClientNames.join(' or ')}`,
        { client },
      );
  }
}
