/**
 * A crawler worker in a process of its own, for tests that end a worker the way an operator or
 * the kernel does: SIGTERM (graceful stop: revoke, finish or hand back, commit, leave, exit 0)
 * or SIGKILL (nothing at all).
 *
 * Started by `fork()` with one argument: JSON {@link CrawlerProcessConfig}. Brokers also come
 * from `KRAUL_TEST_BROKERS` when the config names none. Messages to the parent: `{ type:
 * 'ready' }` once the worker is a member of its group, `{ type: 'failed', message }` when it
 * could not start, and `{ type: 'state', id, stats }` per `{ type: 'query', id }`.
 */
import { createKafkaBus } from '@kraul/bus/kafka';
import { topicNames } from '@kraul/protocol';
import { JobRegistry } from '@kraul/runtime';
import { createLogger, createMetricsRegistry, type LogLevel } from '@kraul/telemetry';
import { testBrokers } from '@kraul/testkit';
import { CrawlerWorker, type CrawlerWorkerOptions } from '../src/crawler-worker.ts';

export interface CrawlerProcessConfig {
  /** Default: the test brokers. */
  brokers?: string[];
  prefix: string;
  sessionTimeoutMs?: number;
  revokeGraceMs?: number;
  concurrency?: number;
  fetch?: CrawlerWorkerOptions['fetch'];
  logLevel?: LogLevel;
}

export type CrawlerProcessMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'state'; id: number; stats: ReturnType<CrawlerWorker['stats']> };

export interface CrawlerProcessQuery {
  type: 'query';
  id: number;
}

const send = (message: CrawlerProcessMessage): void => {
  process.send?.(message);
};

const config = JSON.parse(process.argv[2] ?? '{}') as CrawlerProcessConfig;
const bus = createKafkaBus({
  brokers: config.brokers ?? testBrokers(),
  clientId: `kraul-test-crawler-${process.pid}`,
});
const log = createLogger({ name: 'crawler', level: config.logLevel ?? 'error', format: 'json' });
const jobs = new JobRegistry({ bus, topics: topicNames(config.prefix), groupPrefix: config.prefix, log });
const worker = new CrawlerWorker({
  bus,
  jobs,
  log,
  metrics: createMetricsRegistry(),
  prefix: config.prefix,
  userAgent: 'kraul-test',
  lookup: undefined,
  ...(config.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: config.sessionTimeoutMs }),
  ...(config.revokeGraceMs === undefined ? {} : { revokeGraceMs: config.revokeGraceMs }),
  ...(config.concurrency === undefined ? {} : { concurrency: config.concurrency }),
  ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
});

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await worker.stop();
    await jobs.close();
    await bus.close();
  })();
  return stopping;
}

process.on('SIGTERM', () => {
  stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, 'graceful stop failed');
      process.exit(1);
    },
  );
});
// The parent went away without ending this process: do not linger in the group.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
process.on('message', (message: CrawlerProcessQuery) => {
  if (message.type !== 'query') return;
  send({ type: 'state', id: message.id, stats: worker.stats() });
});

try {
  await jobs.start();
  await worker.start();
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
