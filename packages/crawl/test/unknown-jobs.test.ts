import { createMemoryBus } from '@kraul/bus';
import { encodeMessage, type FetchRequest, groupId, job as jobSchema, topicNames } from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { createLogger, createMetricsRegistry } from '@kraul/telemetry';
import { describe, expect, it } from 'vitest';
import { CrawlerWorker } from '../src/crawler-worker.ts';
import { fetchRequest, waitFor } from './crawl-harness.ts';

function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { log: createLogger({ name: 'test', level: 'error', format: 'json', destination }), lines };
}

describe('fetch requests of a job that is not on the jobs topic', () => {
  it('are dropped after one wait for the job, not one wait per request', async () => {
    const prefix = 'kt';
    const topics = topicNames(prefix);
    const bus = createMemoryBus();
    const admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs(prefix, 1));
    const producer = bus.producer();
    const jobs = new JobRegistry({
      bus,
      topics,
      groupPrefix: prefix,
      log: createLogger({ name: 't', level: 'silent' }),
    });
    await jobs.start();
    const { log, lines } = capturingLogger();
    const crawler = new CrawlerWorker({
      bus,
      jobs,
      log,
      metrics: createMetricsRegistry(),
      prefix,
      userAgent: 'kraul-test',
      jobWaitMs: 200,
    });
    try {
      await crawler.start();
      const ghost = jobSchema.parse({
        type: 'job',
        id: 'ghost',
        seeds: ['http://ghost.test/'],
        createdAt: 0,
        updatedAt: 0,
      });
      const requests: FetchRequest[] = Array.from({ length: 20 }, (_, n) =>
        fetchRequest(ghost, `http://ghost.test/${n}`),
      );
      await producer.send(
        requests.map((request) => ({ topic: topics.todo, key: 'ghost.test', value: encodeMessage(request) })),
      );
      // Twenty waits of 200 ms each would take 4 s; the test's own timeout allows far more.
      await waitFor(async () => {
        const [lag] = await admin.lag(groupId(prefix, 'crawlers'), topics.todo);
        return lag?.lag === 0;
      }, 'every request of the unknown job completed');
      expect(lines.filter((line) => line['job'] === 'ghost')).toEqual([
        expect.objectContaining({ level: 50, msg: 'fetch requests of an unknown job are dropped' }),
      ]);
    } finally {
      await crawler.stop();
      await jobs.close();
      await admin.close();
      await producer.close();
      await bus.close();
    }
  });
});
