import { describe, expect, it } from 'vitest';
import { maxInflightPerHost } from '../src/host-cap.ts';
import { makeJob } from './fixtures.ts';

describe('maxInflightPerHost', () => {
  it('allows what a host can serve within half a lease at the job politeness', () => {
    const job = makeJob({
      settings: { scope: { mode: 'any' }, politeness: { delayMs: 1_000, concurrencyPerHost: 2 } },
    });
    expect(maxInflightPerHost([job], 60_000)).toBe(60);
  });

  it('takes the strictest active job and assumes at most one request per 10 ms without delay', () => {
    const polite = makeJob({
      id: 'polite',
      settings: { scope: { mode: 'any' }, politeness: { delayMs: 5_000 } },
    });
    const eager = makeJob({ id: 'eager', settings: { scope: { mode: 'any' }, politeness: { delayMs: 0 } } });
    expect(maxInflightPerHost([eager], 10_000)).toBe(500);
    expect(maxInflightPerHost([eager, polite], 100_000)).toBe(10);
  });

  it('never goes below one request per slot, and is unbounded without jobs', () => {
    const slow = makeJob({ settings: { scope: { mode: 'any' }, politeness: { delayMs: 3_600_000 } } });
    expect(maxInflightPerHost([slow], 1_000)).toBe(1);
    expect(maxInflightPerHost([], 1_000)).toBeUndefined();
  });
});
