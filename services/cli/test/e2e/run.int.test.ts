import { join } from 'node:path';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import {
  graphPageCounts,
  isGraphPage,
  readJsonLines,
  repeated,
  siteJobFlags,
  tempWorkDir,
} from './site-crawl.ts';

interface PageLine {
  job: string;
  url: string;
  status: number;
  title?: string;
  text?: string;
}

/** The configured delay, less a few ms for timer and clock granularity. */
const DELAY_MS = 100;
const SLACK_MS = 5;

describe('kraul run, end to end', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 4, pagesPerHost: 12 });
    work = await tempWorkDir('run');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('crawls every reachable page of a 4-host site once, politely, and writes them as JSON lines', async () => {
    const seed = site.url(0, '/p/0');
    const result = await runKraulIn(
      ['run', seed, ...siteJobFlags(site, `${DELAY_MS}ms`), '--out', 'pages.jsonl'],
      { cwd: work.dir },
    );
    expect(result.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(result.code).toBe(0);

    const expected = site.expectedPages();
    expect(expected.size).toBe(48);
    const counts = graphPageCounts(site);
    expect(new Set(counts.keys())).toEqual(expected);
    expect(repeated(counts)).toEqual([]);

    // robots.txt keeps the crawl out of /private/; nofollow links are not followed.
    expect(site.requests({ path: /^\/private\// })).toEqual([]);
    expect(site.requests({ path: /^\/nofollow\// })).toEqual([]);
    for (const host of site.hosts) {
      expect(site.requests({ host: host.index, path: '/robots.txt' })).toHaveLength(1);
      // Every request to a host, robots.txt included, waits out the delay after the one before.
      const gaps = site.gaps(host.index);
      expect(gaps.length).toBeGreaterThan(10);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(DELAY_MS - SLACK_MS);
      expect(site.maxConcurrency(host.index)).toBe(1);
    }

    // The summary counts every document the crawl fetched: the pages and the sitemaps robots.txt lists.
    const fetchedByCrawl = site.requests((request) => request.path !== '/robots.txt').length;
    expect(result.stderr).toContain(`done: ${fetchedByCrawl} pages fetched in `);
    expect(result.stderr).toMatch(
      new RegExp(`job 127\\.0\\.0\\.2: ${fetchedByCrawl} done, 0 failed, \\d+ dropped, 0 left to fetch`),
    );

    const lines = await readJsonLines<PageLine>(join(work.dir, 'pages.jsonl'));
    expect(lines).toHaveLength(site.requests(isGraphPage).length);
    expect(new Set(lines.map((line) => line.url))).toEqual(expected);
    for (const line of lines) {
      const { pathname, host } = new URL(line.url);
      const hostIndex = site.hosts.findIndex((h) => new URL(h.origin).host === host);
      expect(line).toMatchObject({
        job: '127.0.0.2',
        status: 200,
        title: `Host ${hostIndex} page ${pathname.split('/').at(-1)}`,
      });
      expect(line.text).toBeTruthy();
    }
  });
});
