import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { tempWorkDir } from './site-crawl.ts';

const PER_HOST = 40;
const MAX_DEPTH = 30;

describe('kraul run on a hostile site', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    // Hosts 0-3 carry one trap each; host 4 is linked from host 0's pages but is no seed's host.
    site = await startTestSite({ hosts: 5, pagesPerHost: 10 });
    work = await tempWorkDir('traps');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('ends by itself within the limits, and cuts session ids and repeating segments early', async () => {
    const seeds = [
      site.url(0, '/calendar/2026/1'),
      site.url(0, '/p/0'),
      site.url(1, '/session/0'),
      site.url(2, '/deep/a'),
      site.url(3, '/counter?page=0'),
    ];
    const allowed = site.hosts.slice(0, 4).flatMap((host) => ['--allow-address', host.address]);
    const result = await runKraulIn(
      [
        'run',
        ...seeds,
        ...allowed,
        '--scope',
        'host',
        '--max-pages-per-host',
        String(PER_HOST),
        '--max-depth',
        String(MAX_DEPTH),
        '--delay',
        '20ms',
        '--no-progress',
      ],
      { cwd: work.dir, killAfterMs: 60_000 },
    );
    expect(result.signal).toBeNull();
    expect(result.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(result.code).toBe(0);

    const pathsOf = (host: number) =>
      site.requests((request) => request.host === host && request.path !== '/robots.txt').map((r) => r.path);
    for (const host of [0, 1, 2, 3]) {
      expect(site.requests({ host, path: '/robots.txt' })).toHaveLength(1);
      const paths = pathsOf(host);
      expect(paths.length).toBeLessThanOrEqual(PER_HOST);
      expect(new Set(paths).size).toBe(paths.length);
    }
    // Host 4 is linked from every page of host 0 but is no seed's host: never contacted.
    expect(site.requests({ host: 4 })).toEqual([]);

    // Calendar: months on both sides of the seed, a contiguous run no further than the depth limit.
    const months = pathsOf(0)
      .map((path) => /^\/calendar\/(\d+)\/(\d+)$/.exec(path))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]) * 12 + Number(match[2]) - 1 - 2026 * 12);
    expect(months).toContain(-1);
    expect(months).toContain(1);
    const [first, last] = [Math.min(...months), Math.max(...months)];
    expect(months).toHaveLength(last - first + 1);
    expect(Math.max(-first, last)).toBeLessThanOrEqual(MAX_DEPTH);

    // Session ids: every link of a session page carries one, so the seed is the only session page.
    expect(pathsOf(1).filter((path) => path.startsWith('/session/'))).toEqual(['/session/0']);
    expect(site.requests({ path: /[?&]sid=/ })).toEqual([]);

    // Ever-deeper paths: cut once a segment would repeat a fourth time.
    const deep = pathsOf(2).filter((path) => path.startsWith('/deep/'));
    expect(deep).toContain('/deep/a/a/a');
    for (const path of deep) {
      const segments = path.split('/').filter((segment) => segment !== '');
      for (const segment of new Set(segments)) {
        expect(segments.filter((s) => s === segment).length, path).toBeLessThanOrEqual(3);
      }
    }

    // A counter without end: consecutive pages from 0, never past the depth limit.
    const counter = pathsOf(3)
      .filter((path) => path.startsWith('/counter'))
      .map((path) => Number(new URLSearchParams(path.split('?')[1]).get('page')));
    expect(counter.sort((a, b) => a - b)).toEqual([...counter.keys()]);
    expect(counter.length).toBeGreaterThan(1);
    expect(counter.length - 1).toBeLessThanOrEqual(MAX_DEPTH);
  });
});
