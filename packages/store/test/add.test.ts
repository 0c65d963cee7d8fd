import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fpOf, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

describe('add', () => {
  it('adds 100,000 distinct fingerprints exactly once each', () => {
    const store = stores.open();
    const total = 100_000;
    let added = 0;
    for (let start = 0; start < total; start += 1000) {
      store.transaction(() => {
        for (let n = start; n < start + 1000; n++) {
          if (store.add(newUrl(n, { hostKey: `host-${n % 257}.example` }))) added++;
        }
      });
    }
    expect(added).toBe(total);
    expect(store.counts().queued).toBe(total);
    expect(store.jobTotal('job-a')).toBe(total);

    let readded = 0;
    store.transaction(() => {
      for (let n = 0; n < total; n++) {
        if (store.add(newUrl(n, { hostKey: 'elsewhere.example', score: 1 }))) readded++;
      }
    });
    expect(readded).toBe(0);
    expect(store.counts().queued).toBe(total);
    expect(store.hostTotal('job-a', 'elsewhere.example')).toBe(0);
    expect(store.get(fpOf(4242))).toMatchObject({ hostKey: 'host-130.example', score: 0.5 });
  });

  it('stores every field of a new URL and reads it back', () => {
    const store = stores.open();
    const url = newUrl(7, { score: 0.75, depth: 3, meta: { source: 'sitemap', priority: 2, fresh: true } });
    expect(store.add(url)).toBe(true);
    expect(store.get(url.fp)).toEqual({
      fp: url.fp,
      url: url.url,
      job: 'job-a',
      hostKey: 'example.com',
      state: 'queued',
      score: 0.75,
      depth: 3,
      attempts: 0,
      notBefore: 0,
      meta: { source: 'sitemap', priority: 2, fresh: true },
    });
    expect(store.get(fpOf(8))).toBeUndefined();
  });

  it('keeps one state per fingerprint in a shard, whichever job adds it first', () => {
    const store = stores.open();
    expect(store.add(newUrl(1, { job: 'job-a' }))).toBe(true);
    expect(store.add(newUrl(1, { job: 'job-b' }))).toBe(false);
    expect(store.get(fpOf(1))?.job).toBe('job-a');
    expect(store.jobTotal('job-b')).toBe(0);
  });

  it('counts a URL added with a future notBefore as queued', () => {
    const store = stores.open();
    store.add(newUrl(1, { notBefore: 5000 }));
    expect(store.counts('job-a')).toEqual({ queued: 1, inflight: 0, done: 0, failed: 0, dropped: 0 });
    expect(store.get(fpOf(1))).toMatchObject({ state: 'queued', notBefore: 5000 });
  });
});
