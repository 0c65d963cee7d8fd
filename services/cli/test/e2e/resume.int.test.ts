import { join } from 'node:path';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn, startKraul } from './kraul-process.ts';
import {
  graphPageCounts,
  isGraphPage,
  readJsonLines,
  repeated,
  siteJobFlags,
  tempWorkDir,
  waitUntil,
} from './site-crawl.ts';

describe('kraul run, stopped with Ctrl-C and started again', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    // Slow pages keep fetches running when the signal comes, so the graceful stop has work to finish.
    site = await startTestSite({ hosts: 4, pagesPerHost: 12, pageDelayMs: 120 });
    work = await tempWorkDir('resume');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('stops gracefully halfway, then the same command finishes without fetching a page twice', async () => {
    const expected = site.expectedPages();
    const args = ['run', site.url(0, '/p/0'), ...siteJobFlags(site, '50ms'), '--out', 'pages.jsonl'];

    const first = startKraul(args, { cwd: work.dir });
    // Ctrl-C once half the pages were asked for, at a moment when a page is being served.
    const open = () => site.requests((request) => isGraphPage(request) && request.endedAt === undefined);
    await waitUntil(
      'half of the pages requested, one still being served',
      () => site.requests(isGraphPage).length >= expected.size / 2 && open().length > 0,
      { intervalMs: 5 },
    );
    const inFlightAtSignal = open();
    const signalledAt = performance.now();
    first.signal('SIGINT');
    const stopped = await first.exited;
    // Finishing a few running fetches and recording them takes a moment, not a drain timeout.
    const stopMs = performance.now() - signalledAt;
    expect(stopMs).toBeLessThan(10_000);
    expect(stopped.stderr).toContain('kraul: stopping: finishing the pages in flight');
    expect(stopped.stderr).toMatch(/^stopped: \d+ pages fetched in /m);
    expect(stopped.stderr).toContain('resume with the same command');
    expect(stopped.code).toBe(0);
    // Every document the first run fetched (pages and sitemaps) is recorded as done.
    const fetchedByFirst = site.requests((request) => request.path !== '/robots.txt').length;
    const stoppedCounts = /job 127\.0\.0\.2: (\d+) done, 0 failed, \d+ dropped, (\d+) left to fetch/.exec(
      stopped.stderr,
    );
    expect(stoppedCounts).not.toBeNull();
    expect(Number(stoppedCounts![1])).toBe(fetchedByFirst);
    expect(Number(stoppedCounts![2])).toBeGreaterThan(0);
    const fetchedFirst = graphPageCounts(site);
    expect(fetchedFirst.size).toBeGreaterThanOrEqual(expected.size / 2);
    expect(fetchedFirst.size).toBeLessThan(expected.size);
    // The stop let every running fetch finish: the site saw no request cut short.
    expect(site.requests((request) => request.aborted)).toEqual([]);
    // Pages still being served when the signal came were finished, reported and written out.
    const writtenFirst = (await readJsonLines<{ url: string }>(join(work.dir, 'pages.jsonl'))).map(
      (line) => line.url,
    );
    expect(writtenFirst.sort()).toEqual([...fetchedFirst.keys()].sort());
    for (const request of inFlightAtSignal) expect(writtenFirst).toContain(request.url);

    const second = await runKraulIn(args, { cwd: work.dir });
    expect(second.stderr).toContain(`kraul: resuming job 127.0.0.2: ${fetchedByFirst} pages already done`);
    expect(second.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(second.code).toBe(0);

    // Across both runs every expected page was fetched, and none twice: what the first run
    // fetched was recorded as done before it exited.
    const counts = graphPageCounts(site);
    expect(new Set(counts.keys())).toEqual(expected);
    expect(repeated(counts)).toEqual([]);
    expect(site.requests({ path: /^\/private\// })).toEqual([]);

    // The output file holds each page once: the first run wrote what it fetched before exiting.
    const lines = await readJsonLines<{ url: string }>(join(work.dir, 'pages.jsonl'));
    expect(lines.map((line) => line.url).sort()).toEqual([...expected].sort());
  });
});
