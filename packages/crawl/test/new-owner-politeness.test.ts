import { createMemoryBus } from '@kraul/bus';
import { encodeMessage, job as jobSchema, topicNames } from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { createLogger, createMetricsRegistry } from '@kraul/telemetry';
import { startTestSite } from '@kraul/testkit';
import { describe, expect, it } from 'vitest';
import { CrawlerWorker } from '../src/crawler-worker.ts';
import { fetchRequest, waitFor } from './crawl-harness.ts';

describe('a crawler that has just been assigned a partition', () => {
  it("waits out the host's delay from the assignment: the previous owner may have just fetched it", async () => {
    const delayMs = 1_500;
    const site = await startTestSite({ hosts: 1 });
    const prefix = 'kt';
    const topics = topicNames(prefix);
    const bus = createMemoryBus();
    const admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs(prefix, 1));
    const log = createLogger({ name: 't', level: 'silent' });
    const jobs = new JobRegistry({ bus, topics, groupPrefix: prefix, log });
    const producer = bus.producer();
    const job = jobSchema.parse({
      type: 'job',
      id: 'site',
      seeds: [site.url(0, '/p/0')],
      createdAt: 0,
      updatedAt: 0,
      settings: {
        politeness: { delayMs },
        safety: { allowedAddresses: [site.hosts[0]!.address] },
      },
    });
    await producer.send([{ topic: topics.jobs, key: job.id, value: encodeMessage(job) }]);
    await jobs.start();
    const crawler = new CrawlerWorker({
      bus,
      jobs,
      log,
      metrics: createMetricsRegistry(),
      prefix,
      userAgent: 'kraul',
    });
    try {
      // The assignment happens inside start(), so no earlier than this.
      const beforeAssignment = performance.now();
      await crawler.start();
      await producer.send([
        { topic: topics.todo, key: 'h', value: encodeMessage(fetchRequest(job, site.url(0, '/p/0'))) },
      ]);
      await waitFor(() => site.requests({ path: '/p/0' }).length === 1, 'the page to be fetched');
      const [first] = site.requests();
      // robots.txt goes first, in the host's slot, and it too waits for the delay.
      expect(first!.path).toBe('/robots.txt');
      expect(first!.startedAt - beforeAssignment).toBeGreaterThanOrEqual(delayMs - 5);
    } finally {
      await crawler.stop();
      await jobs.close();
      await producer.close();
      await admin.close();
      await bus.close();
      await site.close();
    }
  });
});
