// Waits until a Kafka broker answers a real client request (an admin topic listing),
// which is later than the moment its port accepts connections or its log says
// "started". Exit codes: 0 the broker answers, 1 it did not within the timeout,
// 2 the broker process given by --pid exited while we waited.
//
//   node scripts/kafka/wait.ts --broker 127.0.0.1:9092 [--timeout 60000] [--pid 1234]
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';

const { values } = parseArgs({
  options: {
    broker: { type: 'string', default: '127.0.0.1:9092' },
    timeout: { type: 'string', default: '60000' },
    pid: { type: 'string' },
  },
});

const broker = values.broker;
const deadline = Date.now() + Number(values.timeout);
const pid = values.pid === undefined ? undefined : Number(values.pid);
const attemptTimeoutMs = 2_000;
const pauseMs = 250;

function processAlive(id: number): boolean {
  try {
    process.kill(id, 0);
    return true;
  } catch {
    return false;
  }
}

async function brokerAnswers(): Promise<Error | undefined> {
  // One client per attempt, without its own retries: the loop here owns the retry
  // policy, and a fresh client does not reuse a connection from before the broker
  // was ready.
  const admin = new Admin({
    clientId: 'kraul-kafka-wait',
    bootstrapBrokers: [broker],
    connectTimeout: attemptTimeoutMs,
    timeout: attemptTimeoutMs,
    retries: 0,
  });
  try {
    await admin.listTopics();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await admin.close().catch(() => {});
  }
}

let lastError: Error | undefined;
for (;;) {
  if (pid !== undefined && !processAlive(pid)) {
    console.error(`the broker process ${pid} exited before it answered at ${broker}`);
    process.exit(2);
  }
  lastError = await brokerAnswers();
  if (lastError === undefined) process.exit(0);
  if (Date.now() + pauseMs >= deadline) break;
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
console.error(`no Kafka broker answered at ${broker} in time: ${lastError?.message ?? 'no answer'}`);
process.exit(1);
