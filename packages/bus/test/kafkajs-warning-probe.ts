/**
 * Asks the broker for its topics once through kafkajs, then exits: through the kafkajs bus
 * (`bus`) or through kafkajs alone (`raw`), so a test can compare what each prints on stderr.
 * Argument: JSON `{ brokers, via }`.
 */
import { Kafka, logLevel } from 'kafkajs';
import { createKafkajsBus } from '../src/kafkajs/bus.ts';

const { brokers, via } = JSON.parse(process.argv[2] ?? '{}') as { brokers: string[]; via: 'bus' | 'raw' };
if (via === 'bus') {
  const bus = createKafkajsBus({ brokers, clientId: 'kraul-test-warning-probe' });
  await bus.admin().lag('kraul-test-warning-probe', '__consumer_offsets');
  await bus.close();
} else {
  const admin = new Kafka({
    brokers,
    clientId: 'kraul-test-warning-probe',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.listTopics();
  await admin.disconnect();
}
// A warning of another kind still reaches the terminal.
process.emitWarning('probe finished', 'KraulProbeWarning');
