import { createServer, type Server } from 'node:net';
import { ENCODED_PAGES, startTestSite } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCrawlTopics,
  fetchRequest,
  type Outcome,
  OutcomeReader,
  siteJob,
  startWorker,
} from './crawl-harness.ts';

const MiB = 1024 * 1024;

/** A TCP server that only counts the connections made to it. */
async function connectionCounter(
  address: string,
): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound ? bound.port : 0,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a crawler worker on hostile pages', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('classifies every hostile answer within its limit, keeps memory bounded and keeps crawling', async () => {
    // Host 4's robots.txt answers 500: unreachable, so it disallows everything for now.
    const site = await startTestSite({ hosts: 5, robots: { 4: 'error' } });
    cleanups.push(() => site.close());
    // An address the job does not allow, with a listener that would see any connection.
    const forbidden = await connectionCounter('127.0.0.9');
    cleanups.push(() => forbidden.close());
    const crawl = await createCrawlTopics(4);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: 100 } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const { worker, stop } = await startWorker(crawl, {
      fetch: { headersTimeoutMs: 1_000, totalTimeoutMs: 3_000, maxBodyBytes: 10 * MiB },
    });
    cleanups.push(stop);

    // One host per slow case, so the hostile pages are fetched side by side.
    const url = {
      redirectLoop: site.url(0, '/redirect-loop'),
      gzipBomb: site.url(0, '/gzip-bomb'),
      notFound: site.url(0, '/status/404'),
      huge: site.url(1, '/huge?mb=50'),
      binary: site.url(1, '/binary'),
      image: site.url(1, '/image.png'),
      hang: site.url(2, '/hang'),
      gbk: site.url(2, ENCODED_PAGES.gbk.path),
      trickle: site.url(3, '/trickle?ms=200'),
      metadataRedirect: site.url(
        3,
        `/redirect-to?url=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
      ),
      retryAfter: site.url(3, '/retry-after/1?status=503'),
      forbiddenHost: `http://127.0.0.9:${forbidden.port}/`,
      robotsUnreachable: site.url(4, '/p/0'),
    };
    const hostile = Object.values(url).map((u) => fetchRequest(job, u));

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    cleanups.push(async () => clearInterval(sampler));
    const sentAt = performance.now();
    await crawl.sendRequests(hostile);
    await outcomes.waitForAll(hostile, 60_000);
    const hostileMs = performance.now() - sentAt;

    // Then ordinary pages on every host still crawl.
    const normal = [0, 1, 2, 3].map((host) => fetchRequest(job, site.url(host, '/p/0')));
    await crawl.sendRequests(normal);
    await outcomes.waitForAll(normal, 30_000);
    clearInterval(sampler);

    const of = (u: string): Outcome => {
      const outcome = outcomes.of(u);
      expect(outcome, u).toBeDefined();
      return outcome!;
    };
    expect(of(url.redirectLoop)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'redirect_loop',
      retryable: false,
    });
    expect(of(url.gzipBomb)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'too_large',
      retryable: false,
    });
    expect(of(url.huge)).toMatchObject({ type: 'fetch.failed', errorClass: 'too_large', retryable: false });
    expect(of(url.hang)).toMatchObject({ type: 'fetch.failed', errorClass: 'timeout', retryable: true });
    expect(of(url.trickle)).toMatchObject({ type: 'fetch.failed', errorClass: 'timeout', retryable: true });
    expect(of(url.metadataRedirect)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'unsafe_address',
      retryable: false,
    });
    expect(of(url.forbiddenHost)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'unsafe_address',
      retryable: false,
    });
    expect(forbidden.connections()).toBe(0);
    expect(of(url.robotsUnreachable)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'robots',
      retryable: true,
    });
    expect(site.requests({ host: 4 }).map((r) => r.path)).toEqual(['/robots.txt']);
    expect(of(url.retryAfter)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'http_status',
      status: 503,
      retryable: true,
      retryAfterMs: 1_000,
    });
    expect(of(url.notFound)).toMatchObject({ type: 'page.fetched', status: 404 });
    expect(of(url.binary)).toMatchObject({
      type: 'page.fetched',
      status: 200,
      contentType: 'application/octet-stream',
      bytes: 16 * 1024,
      links: [],
    });
    const image = of(url.image);
    expect(image).toMatchObject({ type: 'page.fetched', status: 200, contentType: 'image/png', links: [] });
    expect(image.type === 'page.fetched' && image.bytes).toBeGreaterThan(0);
    const gbk = of(url.gbk);
    expect(gbk.type).toBe('page.fetched');
    expect(gbk.type === 'page.fetched' && gbk.links).toContainEqual({
      url: site.url(2, ENCODED_PAGES.gbk.link),
      text: ENCODED_PAGES.gbk.text,
    });
    for (const request of normal)
      expect(of(request.url)).toMatchObject({ type: 'page.fetched', status: 200 });
    // Exactly one outcome per request.
    expect(outcomes.all).toHaveLength(hostile.length + normal.length);

    // Retry-After holds the host back: its next request waited the second out.
    const host3 = site.requests({ host: 3 });
    const answered503 = host3.findIndex((r) => r.status === 503);
    expect(answered503).toBeGreaterThanOrEqual(0);
    const next = host3[answered503 + 1];
    expect(next).toBeDefined();
    expect(next!.startedAt - host3[answered503]!.endedAt!).toBeGreaterThanOrEqual(1_000 - 5);

    // Each hostile request ended at its limit, not before and not long after. The site's clock
    // starts when the request arrives, after the crawler's, and undici checks its timeouts on a
    // coarse clock: hence the margins.
    const lasted = (path: string) => {
      const [request] = site.requests({ path });
      expect(request?.endedAt, path).toBeDefined();
      return request!.endedAt! - request!.startedAt;
    };
    expect(lasted('/hang')).toBeGreaterThan(1_000 - 200);
    expect(lasted('/hang')).toBeLessThan(3_000 + 1_500);
    expect(lasted('/trickle?ms=200')).toBeGreaterThan(3_000 - 200);
    expect(lasted('/trickle?ms=200')).toBeLessThan(3_000 + 1_500);
    for (const path of ['/hang', '/trickle?ms=200', '/huge?mb=50']) {
      expect(
        site.requests({ path }).map((r) => r.aborted),
        path,
      ).toEqual([true]);
    }

    const growthMb = (peak - baseline) / MiB;
    expect(growthMb).toBeLessThan(300);
    expect(worker.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    console.info(
      `[crawler hostile] ${hostile.length} hostile pages classified in ${Math.round(hostileMs)} ms; ` +
        `rss grew ${Math.round(growthMb)} MB at most (1 GB gzip bomb, 50 MiB page)`,
    );
  });
});
