import { join } from 'node:path';
import { LISTING_ITEMS_PER_PAGE, LISTING_PAGES, startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { readJsonLines, tempWorkDir } from './site-crawl.ts';

interface FailureLine {
  job: string;
  url: string;
  state: 'failed' | 'dropped';
  reason: string;
  message?: string;
  attempts: number;
  status?: number;
  depth: number;
}

/** Far deeper than any of these crawls goes: only trap detection can stop the calendar. */
const MAX_DEPTH = 200;

describe('kraul run explains itself', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 3, pagesPerHost: 4 });
    work = await tempWorkDir('reasons');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('stops an endless calendar as a trap, crawls a long listing whole, and lists why URLs failed or were dropped', async () => {
    const calendarSeed = site.url(0, '/calendar/2026/1');
    const listingSeed = site.url(1, '/list?page=1');
    // Host 2 is a seed's host but its (loopback) address is not allowed: refused, so failed
    // (its seed, and the pages of it that the other hosts' sitemaps list).
    const refusedSeed = site.url(2, '/p/0');
    const result = await runKraulIn(
      [
        'run',
        calendarSeed,
        listingSeed,
        refusedSeed,
        '--allow-address',
        site.hosts[0]!.address,
        '--allow-address',
        site.hosts[1]!.address,
        '--scope',
        'host',
        '--max-depth',
        String(MAX_DEPTH),
        '--delay',
        '10ms',
        '--no-progress',
        '--failures',
        'failures.jsonl',
      ],
      { cwd: work.dir, killAfterMs: 120_000 },
    );
    expect(result.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(result.code).toBe(0);

    // The calendar: a few months on each side of the seed, then trap detection, not the depth limit.
    const months = site.requests({ host: 0, path: /^\/calendar\// });
    expect(months.length).toBeGreaterThanOrEqual(3);
    expect(months.length).toBeLessThanOrEqual(15);

    // The listing: every page and every item, none cut off as a trap.
    const listingPages = site.requests({ host: 1, path: /^\/list\?page=\d+$/ }).map((r) => r.path);
    expect(new Set(listingPages).size).toBe(LISTING_PAGES);
    const items = site.requests({ host: 1, path: /^\/list\/item\/\d+$/ });
    expect(new Set(items.map((r) => r.path)).size).toBe(LISTING_PAGES * LISTING_ITEMS_PER_PAGE);
    expect(site.requests({ host: 2 })).toEqual([]);

    // The summary breaks failed and dropped URLs down by reason.
    expect(result.stderr).toMatch(/^ {4}failed: address refused [1-9]\d*$/m);
    expect(result.stderr).toMatch(/^ {4}dropped: .*\btrap [1-9]\d*\b/m);
    expect(result.stderr).toMatch(/ failed and dropped URLs written to failures\.jsonl$/m);

    const lines = await readJsonLines<FailureLine>(join(work.dir, 'failures.jsonl'));
    for (const line of lines.filter((l) => l.state === 'failed')) {
      expect(line).toMatchObject({ reason: 'address_refused' });
      expect(new URL(line.url).host).toBe(new URL(refusedSeed).host);
    }
    const refused = lines.find((line) => line.url === refusedSeed);
    expect(refused).toMatchObject({ state: 'failed', reason: 'address_refused', attempts: 1, depth: 0 });
    expect(refused?.message).toMatch(/refused to connect to 127\.0\.0\.\d+/);
    const traps = lines.filter((line) => line.reason === 'trap');
    expect(traps.length).toBeGreaterThan(0);
    for (const trap of traps) {
      expect(trap).toMatchObject({ state: 'dropped', attempts: 0 });
      expect(trap.url).toMatch(/\/calendar\/\d+\/\d+$/);
      expect(trap.message).toMatch(/^trap: /);
    }
    expect(lines.some((line) => line.url.includes('/list'))).toBe(false);
    const counted = /job ([^:]+): \d+ done, (\d+) failed, (\d+) dropped/.exec(result.stderr)!;
    expect(lines.filter((line) => line.state === 'failed')).toHaveLength(Number(counted[2]));
    expect(lines.filter((line) => line.state === 'dropped')).toHaveLength(Number(counted[3]));

    // The same lines from the state folder, as a cluster's frontier folder is read.
    const job = counted[1]!;
    const exported = await runKraulIn(
      ['export', '--failures', '--data-dir', join('.kraul', job), '--job', job],
      { cwd: work.dir },
    );
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain(`kraul: exported ${lines.length} failed or dropped URLs of job ${job}`);
    const exportedLines = exported.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FailureLine);
    expect(exportedLines).toEqual(lines);

    const withoutDir = await runKraulIn(['export', '--failures'], { cwd: work.dir });
    expect(withoutDir.code).toBe(2);
    expect(withoutDir.stderr).toContain('--failures needs --data-dir');
  });
});
