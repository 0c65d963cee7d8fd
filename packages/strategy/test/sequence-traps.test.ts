import { describe, expect, it } from 'vitest';
import { isStep, SequenceTraps, shapeOf, type UrlShape } from '../src/sequence-traps.ts';

const shape = (url: string): UrlShape => shapeOf(url)!;
const step = (from: string, to: string) => isStep(shape(from), shape(to));

describe('isStep', () => {
  it('sees a number that counts up or down by one in a path or a query value', () => {
    expect(step('https://a.test/cal?d=5', 'https://a.test/cal?d=6')).toBe(true);
    expect(step('https://a.test/cal?d=5', 'https://a.test/cal?d=4')).toBe(true);
    expect(step('https://a.test/calendar/2026/1', 'https://a.test/calendar/2025/12')).toBe(true);
    expect(step('https://a.test/calendar/2026/1', 'https://a.test/calendar/2026/2')).toBe(true);
    expect(step('https://a.test/day/2026-01-31', 'https://a.test/day/2026-02-01')).toBe(true);
  });

  it('sees a query string that grows', () => {
    expect(step('https://a.test/s?a=1', 'https://a.test/s?a=1&b=2')).toBe(true);
    expect(step('https://a.test/s?a=1&b=2', 'https://a.test/s?a=1&b=2&c=x')).toBe(true);
    expect(step('https://a.test/s', 'https://a.test/s?a=1')).toBe(false);
  });

  it('leaves other links alone: other hosts, other shapes, jumps, the page itself, long ids', () => {
    expect(step('https://a.test/p/3', 'https://b.test/p/4')).toBe(false);
    expect(step('https://a.test/p/3', 'https://a.test/item/4')).toBe(false);
    expect(step('https://a.test/p/3', 'https://a.test/p/17')).toBe(false);
    expect(step('https://a.test/p/3', 'https://a.test/p/3')).toBe(false);
    expect(step('https://a.test/o/1234567890', 'https://a.test/o/1234567891')).toBe(false);
  });
});

describe('SequenceTraps', () => {
  /** Walks a chain of pages from `start`, each linking the next, as a crawl would fetch them. */
  function walk(traps: SequenceTraps, urlOf: (n: number) => string, broughtNew: (n: number) => boolean) {
    let fetched = 1;
    for (let n = 0; n < 1_000; n++) {
      const verdict = traps.step(shape(urlOf(n)), broughtNew(n), shape(urlOf(n + 1)));
      if (verdict.trap) return { fetched, reason: verdict.reason };
      fetched += 1;
    }
    return { fetched, reason: undefined };
  }

  it('stops a counter whose pages bring nothing new after a few steps', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 5 });
    const { fetched, reason } = walk(
      traps,
      (n) => `https://a.test/cal?d=${n}`,
      () => false,
    );
    expect(fetched).toBe(6);
    expect(reason).toMatch(/^trap: 6 pages in a row counting on/);
  });

  it('follows pagination whose pages each bring new links, however long', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 5 });
    const { fetched, reason } = walk(
      traps,
      (n) => `https://a.test/list?page=${n}`,
      (n) => n < 300,
    );
    // The pages past 300 bring nothing: the chain runs on for five of them, then stops.
    expect(reason).toBeDefined();
    expect(fetched).toBe(306);
  });

  it('starts a chain afresh when a page with content reaches it again', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 2 });
    const url = (n: number) => shape(`https://a.test/c?n=${n}`);
    expect(traps.step(url(0), false, url(1)).trap).toBe(false);
    expect(traps.step(url(1), false, url(2)).trap).toBe(false);
    expect(traps.step(url(2), false, url(3)).trap).toBe(true);
    // /c?n=2 linked from a page with content: its chain starts at zero.
    expect(traps.step(url(1), true, url(2)).trap).toBe(false);
    expect(traps.step(url(2), false, url(3)).trap).toBe(false);
  });

  it('keeps its memory within the host and URL caps', () => {
    const traps = new SequenceTraps({ maxHosts: 3, maxUrlsPerHost: 4 });
    for (let host = 0; host < 10; host++) {
      for (let n = 0; n < 10; n++) {
        traps.step(
          shape(`https://h${host}.test/c?n=${n}`),
          false,
          shape(`https://h${host}.test/c?n=${n + 1}`),
        );
      }
    }
    expect(traps.size.hosts).toBe(3);
    expect(traps.size.urls).toBeLessThanOrEqual(12);
  });
});
