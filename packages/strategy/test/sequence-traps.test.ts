import { describe, expect, it } from 'vitest';
import { isStep, originLength, SequenceTraps, shapeOf } from '../src/sequence-traps.ts';

describe('isStep', () => {
  it('sees a number that counts up or down by one in a path or a query value', () => {
    expect(isStep('https://a.test/cal?d=5', 'https://a.test/cal?d=6')).toBe(true);
    expect(isStep('https://a.test/cal?d=5', 'https://a.test/cal?d=4')).toBe(true);
    expect(isStep('https://a.test/cal?d=9', 'https://a.test/cal?d=10')).toBe(true);
    expect(isStep('https://a.test/calendar/2026/1', 'https://a.test/calendar/2025/12')).toBe(true);
    expect(isStep('https://a.test/calendar/2026/1', 'https://a.test/calendar/2026/2')).toBe(true);
    expect(isStep('https://a.test/day/2026-01-31', 'https://a.test/day/2026-02-01')).toBe(true);
  });

  it('sees a query string that grows', () => {
    expect(isStep('https://a.test/s?a=1', 'https://a.test/s?a=1&b=2')).toBe(true);
    expect(isStep('https://a.test/s?a=1&b=2', 'https://a.test/s?a=1&b=2;c=x')).toBe(true);
    expect(isStep('https://a.test/s', 'https://a.test/s?a=1')).toBe(false);
    expect(isStep('https://a.test/s?a=1', 'https://a.test/s?a=12')).toBe(false);
  });

  it('leaves other links alone: other hosts, other shapes, jumps, the page itself, long ids', () => {
    expect(isStep('https://a.test/p/3', 'https://b.test/p/4')).toBe(false);
    expect(isStep('https://ext1.test/p/3', 'https://ext2.test/p/4')).toBe(false);
    expect(isStep('https://a.test:1/p/3', 'https://a.test:2/p/4')).toBe(false);
    expect(isStep('https://a.test/p/3', 'https://a.test/item/4')).toBe(false);
    expect(isStep('https://a.test/p/3', 'https://a.test/p/17')).toBe(false);
    expect(isStep('https://a.test/p/3', 'https://a.test/p/3')).toBe(false);
    expect(isStep('https://a.test/p/3/a', 'https://a.test/p/4/b')).toBe(false);
    expect(isStep('https://a.test/o/1234567890', 'https://a.test/o/1234567891')).toBe(false);
    expect(isStep('https://a.test/o/1234567890?p=1', 'https://a.test/o/1234567890?p=2')).toBe(true);
    expect(isStep('mailto:a@a.test', 'mailto:b@a.test')).toBe(false);
  });
});

describe('shapeOf and originLength', () => {
  it('name the path and query with counters replaced, and where the origin ends', () => {
    expect(shapeOf('https://a.test:8080/cal/2026/1?d=5&id=1234567890')).toBe('/cal/#/#?d=#&id=1234567890');
    expect(originLength('https://a.test:8080/x')).toBe('https://a.test:8080'.length);
    expect(originLength('https://a.test')).toBe('https://a.test'.length);
    expect(originLength('mailto:me@a.test')).toBe(-1);
  });
});

describe('SequenceTraps', () => {
  const host = 'https://a.test';
  /** Walks a chain of pages, each linking the next, as a crawl would fetch them. */
  function walk(traps: SequenceTraps, urlOf: (n: number) => string, broughtNew: (n: number) => boolean) {
    let fetched = 1;
    for (let n = 0; n < 1_000; n++) {
      const verdict = traps.step(host, urlOf(n), broughtNew(n), urlOf(n + 1));
      if (verdict.trap) return { fetched, reason: verdict.reason };
      fetched += 1;
    }
    return { fetched, reason: undefined };
  }

  it('stops a counter whose pages bring nothing new after a few steps', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 5 });
    const { fetched, reason } = walk(
      traps,
      (n) => `${host}/cal?d=${n}`,
      () => false,
    );
    expect(fetched).toBe(6);
    expect(reason).toBe('trap: 6 pages in a row counting on from one another with nothing new (/cal?d=#)');
  });

  it('follows pagination whose pages each bring new links, however long', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 5 });
    const { fetched, reason } = walk(
      traps,
      (n) => `${host}/list?page=${n}`,
      (n) => n < 300,
    );
    // The pages past 300 bring nothing: the chain runs on for five of them, then stops.
    expect(reason).toBeDefined();
    expect(fetched).toBe(306);
  });

  it('starts a chain afresh when a page with content reaches it again', () => {
    const traps = new SequenceTraps({ maxBarrenSteps: 2 });
    const url = (n: number) => `${host}/c?n=${n}`;
    expect(traps.step(host, url(0), false, url(1)).trap).toBe(false);
    expect(traps.step(host, url(1), false, url(2)).trap).toBe(false);
    expect(traps.step(host, url(2), false, url(3)).trap).toBe(true);
    // /c?n=2 linked from a page with content: its chain starts at zero.
    expect(traps.step(host, url(1), true, url(2)).trap).toBe(false);
    expect(traps.step(host, url(2), false, url(3)).trap).toBe(false);
  });

  it('keeps its memory within the host and URL caps', () => {
    const traps = new SequenceTraps({ maxHosts: 3, maxUrlsPerHost: 4 });
    for (let h = 0; h < 10; h++) {
      for (let n = 0; n < 10; n++) {
        traps.step(
          `https://h${h}.test`,
          `https://h${h}.test/c?n=${n}`,
          false,
          `https://h${h}.test/c?n=${n + 1}`,
        );
      }
    }
    expect(traps.size.hosts).toBe(3);
    expect(traps.size.urls).toBeLessThanOrEqual(12);
  });
});
