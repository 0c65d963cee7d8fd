import { type ClusterBusOptions, kafkaClientNames } from './cluster-options.ts';
import { BusError } from './errors.ts';
import { createKafkaBus } from './kafka/bus.ts';
import { createKafkajsBus } from './kafkajs/bus.ts';
import type { Bus } from './types.ts';

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
