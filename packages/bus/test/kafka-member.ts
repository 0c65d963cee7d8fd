/**
 * A consumer group member in a process of its own, for tests that kill a member without
 * letting it say goodbye (SIGKILL: no revoke, no commit, no LeaveGroup). It consumes and
 * never commits, and answers the parent's questions over the IPC channel.
 *
 * Started by `fork()` with one argument: JSON `{ brokers, options, client? }` (a ConsumerOptions;
 * the Kafka client, default @platformatic/kafka).
 * Messages to the parent: `{ type: 'ready' }` once joined, `{ type: 'failed', message }`
 * when it could not join, and `{ type: 'state', id, received, assigned }` per `{ type: 'query', id }`.
 */
import { createClusterBus } from '../src/cluster-bus.ts';
import type { KafkaClientName } from '../src/cluster-options.ts';
import type { ConsumerOptions } from '../src/types.ts';

export interface MemberConfig {
  brokers: string[];
  options: ConsumerOptions;
  groupProtocol?: 'consumer' | 'classic';
  client?: KafkaClientName;
}

export type MemberMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'state'; id: number; received: Array<[string, number[]]>; assigned: string[] };

export interface MemberQuery {
  type: 'query';
  id: number;
}

const send = (message: MemberMessage): void => {
  process.send?.(message);
};

const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
const bus = createClusterBus({
  brokers: config.brokers,
  clientId: 'kraul-test-member',
  ...(config.groupProtocol ? { groupProtocol: config.groupProtocol } : {}),
  ...(config.client ? { client: config.client } : {}),
});
const consumer = bus.consumer(config.options);
const received = new Map<string, number[]>();

// The parent went away without killing this process: do not linger.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: MemberQuery) => {
  if (message.type !== 'query') return;
  send({
    type: 'state',
    id: message.id,
    received: [...received],
    assigned: consumer.assignment().map(({ topic, partition }) => `${topic}:${partition}`),
  });
});

try {
  await consumer.start({
    onBatch: (batch) => {
      const key = `${batch.topic}:${batch.partition}`;
      received.set(key, [...(received.get(key) ?? []), ...batch.records.map((record) => record.offset)]);
    },
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
