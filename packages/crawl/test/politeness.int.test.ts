import { type LoggedRequest, startTestSite, type TestSite } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostRun } from '../src/host-scheduler.ts';
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

/**
 * End-to-start gaps measured by the site: it logs a request's end before the crawler can see
 * it and a request's start after the crawler sent it, so the measured gap is never shorter
 * than the crawler's; this covers timer granularity only.
 */
const CLOCK_SLACK_MS = 5;
/**
 * Start-to-start gaps measured by the site: it logs a start when its handler runs, which lags
 * the crawler's start by connection setup (a second open request needs a connection of its
 * own) and by this process's event-loop delay (site and workers share one loop). A lag on the
 * first request of a pair shortens the measured gap; on a busy 2-core machine it reaches a few
 * hundred ms. The exact check is on the crawler's own schedule (`onHostRun`); this one proves
 * the requests really went out apart, so the delays of that test are well above it.
 */
const SERVER_JITTER_MS = 300;
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
    const runs: HostRun<{ url: string }>[] = [];
    for (const name of ['a', 'b']) {
      const worker = await startWorker(crawl, {
        userAgent: `kraul-test-${name}`,
        onHostRun: (run) => runs.push(run),
      });
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
    return { site, crawl, workers, requests, outcomes, runs };
  }

  /**
   * The runs that may send a request to the host, as the crawler scheduled them: skipped runs
   * (robots.txt refused the URL) send none, and runs started while the host's first run (its
   * robots.txt) was still open only wait for that same robots.txt and go again.
   */
  function scheduledRuns(site: TestSite, runs: HostRun<{ url: string }>[], host: number) {
    const origin = new URL(site.url(host, '/')).origin;
    const ofHost = runs
      .filter((run) => run.outcome !== 'skipped' && new URL(run.task.url).origin === origin)
      .sort((a, b) => a.startedAt - b.startedAt);
    const first = ofHost[0];
    if (!first) return [];
    return [first, ...ofHost.slice(1).filter((run) => run.startedAt >= first.endedAt)];
  }

  /**
   * The politeness the crawler itself decided, exactly: every start at least `least` after the
   * previous start, and (`endToStart`) after every run that had ended by then.
   */
  function expectScheduledApart(
    site: TestSite,
    runs: HostRun<{ url: string }>[],
    host: number,
    least: number,
    endToStart: boolean,
  ): void {
    const scheduled = scheduledRuns(site, runs, host);
    expect(scheduled.length, `host ${host}`).toBeGreaterThanOrEqual(16);
    for (let i = 1; i < scheduled.length; i++) {
      const run = scheduled[i]!;
      const previous = scheduled[i - 1]!;
      expect(
        run.startedAt,
        `host ${host}: ${run.task.url} after ${previous.task.url}`,
      ).toBeGreaterThanOrEqual(previous.startedAt + least);
      if (!endToStart) continue;
      for (const ended of scheduled.slice(0, i).filter((r) => r.endedAt <= run.startedAt)) {
        expect(
          run.startedAt,
          `host ${host}: ${run.task.url} after the end of ${ended.task.url}`,
        ).toBeGreaterThanOrEqual(ended.endedAt + least);
      }
    }
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
    const { site, crawl, workers, requests, outcomes, runs } = await crawlWholeSite(settings);

    expectOneOutcomeEach(outcomes, requests);
    expect(pathsOf(site.requests()).filter((path) => path.startsWith('/private/'))).toEqual([]);
    for (const host of site.hosts) {
      const least = host.index === 1 ? settings.crawlDelaySeconds * 1000 : settings.delayMs;
      expectScheduledApart(site, runs, host.index, least, true);
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
    // The delays are well above SERVER_JITTER_MS, so the site's own measure can still fail a
    // crawler that starts two requests of a host at once.
    const settings = { concurrencyPerHost: 2, delayMs: 400, crawlDelaySeconds: 0.6, pageDelayMs: 900 };
    const { site, crawl, workers, requests, outcomes, runs } = await crawlWholeSite(settings);

    expectOneOutcomeEach(outcomes, requests);
    expect(pathsOf(site.requests()).filter((path) => path.startsWith('/private/'))).toEqual([]);
    for (const host of site.hosts) {
      expect(site.maxConcurrency(host.index), `host ${host.index}`).toBeLessThanOrEqual(2);
      const least = host.index === 1 ? settings.crawlDelaySeconds * 1000 : settings.delayMs;
      expectScheduledApart(site, runs, host.index, least, false);
      expect(Math.min(...startToStart(site, host.index)), `host ${host.index}`).toBeGreaterThanOrEqual(
        least - SERVER_JITTER_MS,
      );
    }
    console.info(
      `[crawler politeness] concurrency 2: least start-to-start gap per host, site-measured ${site.hosts
        .map((h) => Math.round(Math.min(...startToStart(site, h.index))))
        .join(', ')} ms`,
    );
    const hostsAtTwo = site.hosts.filter((h) => site.maxConcurrency(h.index) === 2).length;
    expect(hostsAtTwo).toBeGreaterThan(0);
    assertWorkersSplitTheSite(site, crawl, workers);
  });
});
