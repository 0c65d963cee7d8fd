import { join } from 'node:path';
import type { PageRobots } from '@kraul/protocol';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { graphPageCounts, readJsonLines, repeated, siteJobFlags, tempWorkDir } from './site-crawl.ts';

interface PageLine {
  url: string;
  status: number;
  robots?: PageRobots;
}

const NOT_MARKED: PageRobots = {
  noindex: false,
  nofollow: false,
  noarchive: false,
  nosnippet: false,
  noimageindex: false,
  notranslate: false,
};

describe('kraul run: noindex and nofollow pages', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;
  let seeds: string[];
  /** `/noindex` says noindex,nofollow in a meta tag; `/x-robots-tag` says it to kraul in its headers. */
  let marked: string[];

  beforeAll(async () => {
    site = await startTestSite({ hosts: 2, pagesPerHost: 6 });
    work = await tempWorkDir('noindex');
    marked = [site.url(0, '/noindex'), site.url(1, '/x-robots-tag')];
    seeds = [site.url(0, '/p/0'), ...marked];
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('with --skip-noindex leaves noindex pages out of --out, still fetched and counted, their links not followed', async () => {
    const result = await runKraulIn(
      [
        'run',
        ...seeds,
        ...siteJobFlags(site, '0ms'),
        '--job',
        'skip',
        '--skip-noindex',
        '--out',
        'indexable.jsonl',
      ],
      { cwd: work.dir },
    );
    expect(result.code).toBe(0);

    // Both marked pages were fetched once and count as done like any other page.
    expect(site.requests({ host: 0, path: '/noindex' })).toHaveLength(1);
    expect(site.requests({ host: 1, path: '/x-robots-tag' })).toHaveLength(1);
    const fetched = site.requests((request) => request.path !== '/robots.txt').length;
    expect(result.stderr).toContain(`done: ${fetched} pages fetched in `);
    expect(result.stderr).toMatch(
      new RegExp(`job skip: ${fetched} done, 0 failed, \\d+ dropped, 0 left to fetch`),
    );
    expect(result.stderr).toContain('pages written to indexable.jsonl (2 noindex pages left out)');

    // Their links were not followed: /nofollow/0 and /nofollow/1 are linked from them alone
    // (the graph links /nofollow/0 with rel=nofollow too).
    expect(site.requests({ path: /^\/nofollow\// })).toEqual([]);
    const expected = site.expectedPages();
    const counts = graphPageCounts(site);
    expect(new Set(counts.keys())).toEqual(expected);
    expect(repeated(counts)).toEqual([]);

    const lines = await readJsonLines<PageLine>(join(work.dir, 'indexable.jsonl'));
    expect(new Set(lines.map((line) => line.url))).toEqual(expected);
    expect(lines).toHaveLength(expected.size);
    for (const line of lines) expect(line.robots).toEqual(NOT_MARKED);
  });

  it('without it writes every page, each with its robots directives', async () => {
    const result = await runKraulIn(
      ['run', ...seeds, ...siteJobFlags(site, '0ms'), '--job', 'all', '--out', 'all.jsonl'],
      { cwd: work.dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('pages written to all.jsonl\n');

    const lines = await readJsonLines<PageLine>(join(work.dir, 'all.jsonl'));
    const byUrl = new Map(lines.map((line) => [line.url, line]));
    expect(byUrl.size).toBe(site.expectedPages().size + 2);
    expect(byUrl.get(marked[0]!)?.robots).toEqual({ ...NOT_MARKED, noindex: true, nofollow: true });
    // `otherbot: noarchive` is another robot's.
    expect(byUrl.get(marked[1]!)?.robots).toEqual({ ...NOT_MARKED, noindex: true, nofollow: true });
  });
});
