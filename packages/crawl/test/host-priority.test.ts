import { describe, expect, it } from 'vitest';
import { progressRank, ReadyHosts } from '../src/host-priority.ts';

function drain(ready: ReadyHosts<string>, now: number): string[] {
  const taken: string[] = [];
  for (let host = ready.take(now); host !== undefined; host = ready.take(now)) taken.push(host);
  return taken;
}

describe('progressRank', () => {
  it('puts a host with nothing ended first, then the fewest done less the most left', () => {
    const ranks = {
      nothingEnded: progressRank({ done: 0, left: 1 }),
      foundLate: progressRank({ done: 3, left: 40 }),
      bigSite: progressRank({ done: 200, left: 5_000 }),
      nearlyDone: progressRank({ done: 55, left: 5 }),
      unknown: progressRank(undefined),
    };
    expect(ranks.nothingEnded).toBeLessThan(ranks.bigSite);
    expect(ranks.bigSite).toBeLessThan(ranks.foundLate);
    expect(ranks.foundLate).toBeLessThan(ranks.unknown);
    expect(ranks.unknown).toBeLessThan(ranks.nearlyDone);
  });
});

describe('ReadyHosts', () => {
  it('serves the lowest rank first and equal ranks in the order they became ready', () => {
    const ready = new ReadyHosts<string>(10_000);
    ready.add('nearly-done', 50, 0);
    ready.add('late-a', -30, 1);
    ready.add('new', Number.NEGATIVE_INFINITY, 2);
    ready.add('late-b', -30, 3);
    expect(ready.size).toBe(4);
    expect(drain(ready, 10)).toEqual(['new', 'late-a', 'late-b', 'nearly-done']);
    expect(ready.size).toBe(0);
  });

  it('serves a host passed over for the longest wait next, whatever its rank', () => {
    const ready = new ReadyHosts<string>(1_000);
    ready.add('nearly-done', 50, 0);
    ready.add('late', -30, 500);
    ready.add('later', -40, 900);
    // Before the wait is up, rank decides.
    expect(ready.take(999)).toBe('later');
    // Then the host ready longest goes first, once; the rest by rank again.
    expect(ready.take(1_000)).toBe('nearly-done');
    expect(ready.take(1_000)).toBe('late');
    expect(ready.take(1_000)).toBeUndefined();
  });

  it('keeps its count and its memory right when hosts are taken for their wait', () => {
    const ready = new ReadyHosts<string>(0);
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 1_000; n++) ready.add(`h${n}`, 1_000 - n, round * 10);
      // Every host has waited long enough: they go in the order they became ready.
      const taken = drain(ready, round * 10);
      expect(taken).toHaveLength(1_000);
      expect(taken[0]).toBe('h0');
      expect(taken[999]).toBe('h999');
    }
    ready.add('last', 0, 100);
    expect(ready.size).toBe(1);
    expect(drain(ready, 100)).toEqual(['last']);
  });

  it('forgets every host on clear', () => {
    const ready = new ReadyHosts<string>(10);
    ready.add('a', 0, 0);
    ready.add('b', 0, 0);
    ready.clear();
    expect(ready.size).toBe(0);
    expect(ready.take(100)).toBeUndefined();
  });
});
