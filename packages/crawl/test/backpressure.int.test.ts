import { createMetricsRegistry } from '@kraul/telemetry';
import { startTestSite } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCrawlTopics,
  fetchRequest,
  OutcomeReader,
  siteJob,
  startWorker,
  waitFor,
} from './crawl-harness.ts';

const PARTITIONS = 4;
const BUFFER = 4;

describe('a crawler worker with a small partition buffer', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('pauses the partition of a slow host while another partition keeps crawling', async () => {
    const site = await startTestSite({ hosts: 6, pagesPerHost: 50, pageDelayMs: 20 });
    cleanups.push(() => site.close());
    const partitionOf = (index: number) => partitionForKey(site.hosts[index]!.address, PARTITIONS);
    const slowHost = 0;
    const otherHost = site.hosts.findIndex((h) => partitionOf(h.index) !== partitionOf(slowHost));
    expect(otherHost).toBeGreaterThan(0);

    const crawl = await createCrawlTopics(PARTITIONS);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: 100 } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const metrics = createMetricsRegistry();
    const { worker, stop } = await startWorker(crawl, { partitionBuffer: BUFFER, metrics });
    cleanups.push(stop);

    let mostPaused = 0;
    /** Most requests held at once, while only the slow host's partition has work, then overall. */
    const mostHeld = { slowOnly: 0, overall: 0 };
    let otherSent = false;
    const sampler = setInterval(() => {
      const stats = worker.stats();
      const held = stats.queued + stats.inFlight;
      mostPaused = Math.max(mostPaused, stats.pausedPartitions);
      if (!otherSent) mostHeld.slowOnly = Math.max(mostHeld.slowOnly, held);
      mostHeld.overall = Math.max(mostHeld.overall, held);
    }, 5);
    cleanups.push(async () => clearInterval(sampler));

    const slow = Array.from({ length: 50 }, (_, n) => fetchRequest(job, site.url(slowHost, `/p/${n}`)));
    await crawl.sendRequests(slow);
    await waitFor(() => worker.stats().pausedPartitions > 0, 'the slow host’s partition to be paused');

    const other = Array.from({ length: 10 }, (_, n) => fetchRequest(job, site.url(otherHost, `/p/${n}`)));
    otherSent = true;
    await crawl.sendRequests(other);
    await outcomes.waitForAll(other, 30_000);
    const slowDoneWhenOtherDone = slow.filter((r) => outcomes.of(r.url)).length;
    await outcomes.waitForAll(slow, 40_000);
    clearInterval(sampler);

    // The other host did not wait behind the slow one.
    expect(slowDoneWhenOtherDone).toBeLessThan(slow.length);
    expect(mostPaused).toBeGreaterThan(0);
    // Less than two buffers' worth held per partition: it is paused between batches of at most a buffer.
    expect(mostHeld.slowOnly).toBeLessThan(2 * BUFFER);
    expect(mostHeld.overall).toBeLessThan(2 * 2 * BUFFER);
    expect(outcomes.all).toHaveLength(slow.length + other.length);
    for (const outcome of outcomes.all) expect(outcome).toMatchObject({ type: 'page.fetched', status: 200 });
    await waitFor(() => worker.stats().pausedPartitions === 0, 'every partition to be resumed');
    expect(await metrics.metrics()).toMatch(/^kraul_crawler_paused_partitions 0$/m);
    console.info(
      `[crawler backpressure] buffer ${BUFFER}: at most ${mostHeld.slowOnly} requests of one partition held, ${mostPaused} partition(s) paused; ` +
        `the other host finished while ${slow.length - slowDoneWhenOtherDone} slow requests were still to come`,
    );
  });
});
