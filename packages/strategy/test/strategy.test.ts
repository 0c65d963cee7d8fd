import { type Job, type JobInput, job as jobSchema } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import {
  bestFirst,
  breadthFirst,
  depthFirst,
  JobScope,
  loadStrategy,
  RecentUrls,
  trapReason,
} from '../src/index.ts';
import type { LinkCandidate } from '../src/types.ts';

function makeJob(overrides: Partial<JobInput> & { settings?: JobInput['settings'] } = {}): Job {
  return jobSchema.parse({
    type: 'job',
    id: 'j',
    seeds: ['https://www.example.co.uk/'],
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  });
}

const link = (url: string, depth: number, text?: string): LinkCandidate => ({
  url,
  depth,
  ...(text === undefined ? {} : { text }),
  from: { url: 'https://www.example.co.uk/', depth: depth - 1, score: 0 },
});

describe('JobScope', () => {
  it('keeps the registrable domain by default', () => {
    const scope = new JobScope(makeJob());
    expect(scope.check('https://shop.example.co.uk/a', 1)).toEqual({ ok: true });
    expect(scope.check('https://example.com/a', 1)).toEqual({
      ok: false,
      reason: 'other domain',
      code: 'out_of_scope',
    });
    expect(scope.check('https://co.uk/a', 1).ok).toBe(false);
  });

  it('keeps only the seed hosts in host mode, anything in any mode', () => {
    const host = new JobScope(makeJob({ settings: { scope: { mode: 'host' } } }));
    expect(host.check('https://www.example.co.uk/x', 1).ok).toBe(true);
    expect(host.check('https://shop.example.co.uk/x', 1)).toEqual({
      ok: false,
      reason: 'other host',
      code: 'out_of_scope',
    });
    const any = new JobScope(makeJob({ settings: { scope: { mode: 'any' } } }));
    expect(any.check('https://elsewhere.org/', 1).ok).toBe(true);
  });

  it('reads seed hosts as normalised links carry them (no trailing dot)', () => {
    const host = new JobScope(
      makeJob({ seeds: ['https://WWW.Example.co.uk./start'], settings: { scope: { mode: 'host' } } }),
    );
    expect(host.check('https://www.example.co.uk/x', 1)).toEqual({ ok: true });
  });

  it('applies depth, length, allow and deny', () => {
    const scope = new JobScope(
      makeJob({
        settings: { scope: { maxDepth: 2, maxUrlLength: 64, allow: ['/docs/'], deny: ['\\.pdf$'] } },
      }),
    );
    expect(scope.check('https://www.example.co.uk/docs/a', 2).ok).toBe(true);
    expect(scope.check('https://www.example.co.uk/docs/a', 3)).toEqual({
      ok: false,
      reason: 'depth 3 over 2',
      code: 'depth',
    });
    expect(scope.check(`https://www.example.co.uk/docs/${'a'.repeat(64)}`, 1).ok).toBe(false);
    expect(scope.check('https://www.example.co.uk/blog/a', 1)).toEqual({
      ok: false,
      reason: 'not allowed',
      code: 'out_of_scope',
    });
    expect(scope.check('https://www.example.co.uk/docs/a.pdf', 1)).toEqual({
      ok: false,
      reason: 'denied',
      code: 'out_of_scope',
    });
  });

  it('names an invalid pattern', () => {
    expect(() => new JobScope(makeJob({ settings: { scope: { deny: ['('] } } }))).toThrow(
      /deny pattern "\(" is not a valid regular expression/,
    );
  });

  it('rejects traps', () => {
    const scope = new JobScope(makeJob());
    expect(scope.check('https://www.example.co.uk/a/a/a/a/x', 1).ok).toBe(false);
    expect(scope.check('https://www.example.co.uk/p?sid=123', 1).ok).toBe(false);
  });
});

describe('trapReason', () => {
  it('spots repeating segments, deep paths, session ids and query floods', () => {
    expect(trapReason(new URL('https://e.com/a/b/a/b/a/b/a'))).toMatch(/repeats 4 times/);
    expect(
      trapReason(new URL(`https://e.com/${Array.from({ length: 17 }, (_, i) => `s${i}`).join('/')}`)),
    ).toMatch(/17 segments/);
    expect(trapReason(new URL('https://e.com/x?PHPSESSID=1'))).toMatch(/session id/);
    expect(trapReason(new URL('https://e.com/x;jsessionid=abc'))).toMatch(/session id in path/);
    const query = Array.from({ length: 13 }, (_, i) => `p${i}=1`).join('&');
    expect(trapReason(new URL(`https://e.com/x?${query}`))).toMatch(/13 query parameters/);
    expect(trapReason(new URL('https://e.com/2024/01/news?page=2'))).toBeUndefined();
  });
});

describe('built-in strategies', () => {
  const job = makeJob({ settings: { strategy: { name: 'best-first', keywords: ['Kafka', 'crawler'] } } });

  it('order by depth', () => {
    expect(breadthFirst.scoreLink(link('https://e.com/a', 1), job)).toBeGreaterThan(
      breadthFirst.scoreLink(link('https://e.com/b', 2), job)!,
    );
    expect(depthFirst.scoreLink(link('https://e.com/a', 1), job)).toBeLessThan(
      depthFirst.scoreLink(link('https://e.com/b', 2), job)!,
    );
  });

  it('best-first prefers keyword hits in URL and anchor text', () => {
    const plain = bestFirst.scoreLink(link('https://e.com/about', 1, 'About us'), job)!;
    const one = bestFirst.scoreLink(link('https://e.com/kafka', 3, 'Intro'), job)!;
    const two = bestFirst.scoreLink(link('https://e.com/kafka', 3, 'A web Crawler'), job)!;
    expect(one).toBeGreaterThan(plain);
    expect(two).toBeGreaterThan(one);
  });
});

describe('loadStrategy', () => {
  it('returns the built-in strategy a job names', async () => {
    expect((await loadStrategy(makeJob({ settings: { strategy: { name: 'depth-first' } } }))).name).toBe(
      'depth-first',
    );
    expect((await loadStrategy(makeJob())).name).toBe('breadth-first');
  });

  it('loads a user module relative to the working directory', async () => {
    const job = makeJob({
      settings: { strategy: { name: 'module', module: './test/fixtures/keyword-strategy.ts' } },
    });
    const strategy = await loadStrategy(job, import.meta.dirname + '/..');
    expect(strategy.name).toBe('news-first');
    expect(strategy.scoreLink(link('https://e.com/ads/1', 1), job)).toBeUndefined();
    expect(strategy.scoreLink(link('https://e.com/news/1', 1), job)).toBe(10);
  });

  it('explains a module that is missing or exports no strategy', async () => {
    const missing = makeJob({ settings: { strategy: { name: 'module', module: './nope.ts' } } });
    await expect(loadStrategy(missing, import.meta.dirname)).rejects.toMatchObject({
      code: 'strategy.load_failed',
    });
    const invalid = makeJob({ settings: { strategy: { name: 'module', module: './strategy.test.ts' } } });
    await expect(loadStrategy(invalid, import.meta.dirname)).rejects.toMatchObject({
      code: 'strategy.invalid_module',
    });
    await expect(loadStrategy(makeJob({ settings: { strategy: { name: 'module' } } }))).rejects.toMatchObject(
      {
        code: 'strategy.no_module',
      },
    );
  });
});

describe('RecentUrls', () => {
  it('remembers at least its capacity and forgets the oldest generation', () => {
    const recent = new RecentUrls(3);
    expect(recent.seen('a')).toBe(false);
    expect(recent.seen('a')).toBe(true);
    recent.seen('b');
    recent.seen('c'); // current generation full: a, b, c become the previous one
    expect(recent.seen('a')).toBe(true);
    for (const fp of ['d', 'e', 'f', 'g']) recent.seen(fp);
    expect(recent.seen('b')).toBe(false);
    recent.forget('g');
    expect(recent.seen('g')).toBe(false);
  });
});
