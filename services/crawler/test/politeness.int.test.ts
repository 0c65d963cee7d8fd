import { type LoggedRequest, startTestSite, type TestSite } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CrawlTopics,
  createCrawlTopics,
  fetchRequest,
  type InProcessWorker,
  OutcomeReader,
  siteJob,
  startWorker,
  waitFor,
} from './crawl-harness.ts';

/** The site logs a request when its handler runs and its end when the response is out, so it only errs towards larger gaps; this covers timer granularity. */
const CLOCK_SLACK_MS = 5;
/**
 * Start-to-start gaps of overlapping requests also carry connection setup: the second of two
 * open requests needs a connection of its own, so its arrival lags its start by a little more.
 */
const OVERLAP_SLACK_MS = 15;
const PARTITIONS = 6;

interface PolitenessCase {
  concurrencyPerHost: number;
  delayMs: number;
  /** Crawl-delay (seconds) of host 1's robots.txt. */
  crawlDelaySeconds: number;
  pageDelayMs: number;
}

describe('two crawler workers on a multi-host site', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  async function crawlWholeSite(settings: PolitenessCase) {
    const site = await startTestSite({
      hosts: 6,
      pagesPerHost: 15,
      crawlDelaySeconds: { 1: settings.crawlDelaySeconds },
      pageDelayMs: settings.pageDelayMs,
    });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(PARTITIONS);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, {
      politeness: { delayMs: settings.delayMs, concurrencyPerHost: settings.concurrencyPerHost },
    });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());

    // Each worker names itself in its User-Agent, so the site's log tells which one fetched what.
    const workers: InProcessWorker[] = [];
    for (const name of ['a', 'b']) {
      const worker = await startWorker(crawl, { userAgent: `kraul-test-${name}` });
      cleanups.push(() => worker.stop());
      workers.push(worker);
    }
    await waitFor(
      () =>
        workers.every((w) => w.worker.stats().partitions.length > 0) &&
        workers.flatMap((w) => w.worker.stats().partitions).length === PARTITIONS,
      'both workers to share the todo partitions',
    );

    const requests = site.hosts.flatMap((host) => [
      ...Array.from({ length: site.options.pagesPerHost }, (_, n) =>
        fetchRequest(job, site.url(host.index, `/p/${n}`)),
      ),
      fetchRequest(job, site.url(host.index, '/private/0')),
      fetchRequest(job, site.url(host.index, '/private/3')),
    ]);
    await crawl.sendRequests(requests);
    await outcomes.waitForAll(requests, 90_000);
    return { site, crawl, workers, requests, outcomes };
  }

  function expectOneOutcomeEach(outcomes: OutcomeReader, requests: ReturnType<typeof fetchRequest>[]): void {
    const byFp = outcomes.byFp();
    for (const request of requests) {
      const list = byFp.get(request.fp) ?? [];
      expect(list, request.url).toHaveLength(1);
      const outcome = list[0]!;
      if (request.url.includes('/private/')) {
        expect(outcome).toMatchObject({ type: 'fetch.failed', errorClass: 'robots', retryable: false });
      } else {
        expect(outcome).toMatchObject({ type: 'page.fetched', status: 200 });
      }
    }
    expect(outcomes.all).toHaveLength(requests.length);
  }

  /** Each host was fetched by one worker only: its partition never moved during the crawl. */
  function workersByHost(site: TestSite): Map<number, Set<string>> {
    const byHost = new Map<number, Set<string>>();
    for (const request of site.requests()) {
      const agents = byHost.get(request.host) ?? new Set<string>();
      agents.add(request.headers['user-agent'] ?? '');
      byHost.set(request.host, agents);
    }
    return byHost;
  }

  function assertWorkersSplitTheSite(site: TestSite, crawl: CrawlTopics, workers: InProcessWorker[]): void {
    const byHost = workersByHost(site);
    for (const [host, agents] of byHost) expect([...agents], `host ${host}`).toHaveLength(1);
    // Hosts whose partition a worker owns were crawled by that worker.
    workers.forEach((w, index) => {
      const owned = new Set(w.worker.stats().partitions);
      const agent = `kraul-test-${index === 0 ? 'a' : 'b'}`;
      for (const host of site.hosts) {
        if (owned.has(partitionForKey(host.address, crawl.partitions))) {
          expect([...(byHost.get(host.index) ?? [])], `host ${host.index}`).toEqual([agent]);
        }
      }
    });
  }

  const endToStart = (site: TestSite, host: number) => site.gaps(host);
  const startToStart = (site: TestSite, host: number) => site.gaps(host, { measure: 'start-to-start' });
  const pathsOf = (requests: LoggedRequest[]) => requests.map((r) => r.path);

  it('keeps one request per host at a time, the delay between them, and robots.txt', async () => {
    const settings = { concurrencyPerHost: 1, delayMs: 150, crawlDelaySeconds: 1, pageDelayMs: 20 };
    const { site, crawl, workers, requests, outcomes } = await crawlWholeSite(settings);

    expectOneOutcomeEach(outcomes, requests);
    expect(pathsOf(site.requests()).filter((path) => path.startsWith('/private/'))).toEqual([]);
    for (const host of site.hosts) {
      const paths = pathsOf(site.requests({ host: host.index }));
      expect(
        paths.filter((path) => path === '/robots.txt'),
        `host ${host.index}`,
      ).toHaveLength(1);
      expect(
        paths.filter((path) => path.startsWith('/p/')),
        `host ${host.index}`,
      ).toHaveLength(15);
      expect(site.maxConcurrency(host.index), `host ${host.index}`).toBe(1);
      const least = host.index === 1 ? settings.crawlDelaySeconds * 1000 : settings.delayMs;
      const gaps = endToStart(site, host.index);
      expect(gaps).toHaveLength(15);
      expect(Math.min(...gaps), `host ${host.index}`).toBeGreaterThanOrEqual(least - CLOCK_SLACK_MS);
    }
    assertWorkersSplitTheSite(site, crawl, workers);
    console.info(
      `[crawler politeness] concurrency 1: least end-to-start gap per host ${site.hosts
        .map((h) => Math.round(Math.min(...endToStart(site, h.index))))
        .join(', ')} ms`,
    );
  });

  it('lets a host have two requests open when its concurrency is 2, never three', async () => {
    // Pages take longer than the delay, so a second request starts while the first is open.
    const settings = { concurrencyPerHost: 2, delayMs: 100, crawlDelaySeconds: 0.5, pageDelayMs: 300 };
    const { site, crawl, workers, requests, outcomes } = await crawlWholeSite(settings);

    expectOneOutcomeEach(outcomes, requests);
    expect(pathsOf(site.requests()).filter((path) => path.startsWith('/private/'))).toEqual([]);
    for (const host of site.hosts) {
      expect(site.maxConcurrency(host.index), `host ${host.index}`).toBeLessThanOrEqual(2);
      const least = host.index === 1 ? settings.crawlDelaySeconds * 1000 : settings.delayMs;
      expect(Math.min(...startToStart(site, host.index)), `host ${host.index}`).toBeGreaterThanOrEqual(
        least - OVERLAP_SLACK_MS,
      );
    }
    const hostsAtTwo = site.hosts.filter((h) => site.maxConcurrency(h.index) === 2).length;
    expect(hostsAtTwo).toBeGreaterThan(0);
    assertWorkersSplitTheSite(site, crawl, workers);
  });
});
