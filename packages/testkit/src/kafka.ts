import { randomBytes } from 'node:crypto';
import { KraulError } from '@kraul/protocol';
import { Admin } from '@platformatic/kafka';

const defaultTestBroker = '127.0.0.1:9092';

/**
 * The bootstrap brokers of the test Kafka cluster: `KRAUL_TEST_BROKERS` (comma separated
 * `host:port` list) or the broker that `scripts/kafka.sh start` runs, `127.0.0.1:9092`.
 */
export function testBrokers(): string[] {
  const configured = (process.env['KRAUL_TEST_BROKERS'] ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  return configured.length > 0 ? configured : [defaultTestBroker];
}

let nameCounter = 0;

/**
 * A topic or consumer group name no other test (in this run or an earlier one on the same
 * broker) uses: `label-pid-counter-random`. Characters Kafka does not allow in topic names
 * are replaced by `-`, so any label is safe.
 */
export function uniqueName(label: string): string {
  nameCounter += 1;
  const safeLabel = label.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safeLabel}-${process.pid}-${nameCounter}-${randomBytes(3).toString('hex')}`;
}

/** No broker of the test cluster answered a client request. */
export class TestBrokerUnreachableError extends KraulError {
  constructor(brokers: readonly string[], cause: unknown) {
    super(
      'TEST_BROKER_UNREACHABLE',
      `no Kafka broker answers at ${brokers.join(',')}: start one with \`npm run kafka start\`` +
        ' (or run `npm test`, which starts it)',
      { brokers },
      { cause },
    );
  }
}

export interface BrokerCheckOptions {
  /** Bootstrap brokers to ask. Default: {@link testBrokers}(). */
  brokers?: string[];
  /** How many times to ask before giving up. Default: 3. */
  attempts?: number;
  /** Connect and request timeout of each attempt, in ms. Default: 2,000. */
  attemptTimeoutMs?: number;
  /** Pause between attempts, in ms. Default: 500. */
  pauseMs?: number;
}

/**
 * Resolves once the test broker answers an admin request (a topic listing); otherwise
 * rejects with {@link TestBrokerUnreachableError}, whose message says how to start one.
 */
export async function assertTestBrokerAnswers(options: BrokerCheckOptions = {}): Promise<void> {
  const brokers = options.brokers ?? testBrokers();
  const attempts = options.attempts ?? 3;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
  const pauseMs = options.pauseMs ?? 500;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    // A fresh client per attempt without retries of its own: this loop is the only
    // retry policy, so the whole check stays within attempts × timeout.
    const admin = new Admin({
      clientId: 'kraul-test-broker-check',
      bootstrapBrokers: brokers,
      connectTimeout: attemptTimeoutMs,
      timeout: attemptTimeoutMs,
      retries: 0,
    });
    try {
      await admin.listTopics();
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.close().catch(() => {});
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new TestBrokerUnreachableError(brokers, lastError);
}
