import { join } from 'node:path';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { graphPageCounts, readJsonLines, repeated, tempWorkDir } from './site-crawl.ts';

/** Scope flags for the whole site, with no address allowed one by one. */
function siteScope(site: TestSite): string[] {
  const lastOctets = site.hosts.map((host) => host.address.split('.').at(-1)).join('|');
  return ['--scope', 'any', '--allow', `^http://127\\.0\\.0\\.(${lastOctets}):`, '--delay', '0'];
}

describe('kraul run --allow-private', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 3, pagesPerHost: 8 });
    work = await tempWorkDir('allow-private');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('refuses a site on 127.0.0.x without it', async () => {
    const result = await runKraulIn(['run', site.url(0, '/p/0'), ...siteScope(site), '--job', 'refused'], {
      cwd: work.dir,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/job refused: 0 done, 1 failed, 0 dropped, 0 left to fetch/);
    expect(site.requests()).toEqual([]);
  });

  it('crawls every page of a site on 127.0.0.x with --allow-private alone', async () => {
    const result = await runKraulIn(
      ['run', site.url(0, '/p/0'), ...siteScope(site), '--allow-private', '--out', 'pages.jsonl'],
      { cwd: work.dir },
    );
    expect(result.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(result.stderr).toMatch(/job 127\.0\.0\.2: \d+ done, 0 failed, \d+ dropped, 0 left to fetch/);
    expect(result.code).toBe(0);

    const expected = site.expectedPages();
    expect(expected.size).toBe(24);
    const counts = graphPageCounts(site);
    expect(new Set(counts.keys())).toEqual(expected);
    expect(repeated(counts)).toEqual([]);
    const lines = await readJsonLines<{ url: string; status: number }>(join(work.dir, 'pages.jsonl'));
    expect(new Set(lines.map((line) => line.url))).toEqual(expected);
    expect(lines.every((line) => line.status === 200)).toBe(true);
  });
});
