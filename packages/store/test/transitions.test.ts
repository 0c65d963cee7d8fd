import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UrlIdentity } from '../src/types.ts';
import { fpOf, leaseAll, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

const redirectTarget: UrlIdentity = {
  url: 'https://example.com/final',
  job: 'job-a',
  hostKey: 'example.com',
  depth: 2,
};

describe('markDone', () => {
  it('records a leased URL once and reports the duplicate', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.leaseDue(leaseAll);
    const validators = { etag: '"abc"' };
    expect(store.markDone(fpOf(1), { status: 200, fetchedAt: 2_000, validators })).toBe(true);
    expect(store.markDone(fpOf(1), { status: 500, fetchedAt: 3_000 })).toBe(false);
    const entry = store.get(fpOf(1))!;
    expect(entry).toMatchObject({ state: 'done', status: 200, lastFetchAt: 2_000, validators, attempts: 1 });
    expect(entry.lease).toBeUndefined();
    expect(entry.leaseExpiresAt).toBeUndefined();
    expect(store.counts()).toEqual({ queued: 0, inflight: 0, done: 1, failed: 0, dropped: 0 });
    expect(store.hostTotal('job-a', 'example.com')).toBe(1);
  });

  it('records an unknown URL as done when told who it is, and then never adds it', () => {
    const store = stores.open();
    expect(store.markDone(fpOf(9), { status: 200, fetchedAt: 2_000 })).toBe(false);
    expect(store.get(fpOf(9))).toBeUndefined();

    expect(store.markDone(fpOf(9), { status: 200, fetchedAt: 2_000 }, redirectTarget)).toBe(true);
    expect(store.get(fpOf(9))).toEqual({
      fp: fpOf(9),
      url: redirectTarget.url,
      job: 'job-a',
      hostKey: 'example.com',
      state: 'done',
      score: 0,
      depth: 2,
      attempts: 0,
      notBefore: 0,
      status: 200,
      lastFetchAt: 2_000,
    });
    expect(store.markDone(fpOf(9), { status: 200, fetchedAt: 2_500 }, redirectTarget)).toBe(false);
    expect(store.add(newUrl(9))).toBe(false);
    expect(store.jobTotal('job-a')).toBe(1);
    expect(store.hostTotal('job-a', 'example.com')).toBe(1);
  });
});

describe('markDropped', () => {
  it('drops a queued URL, keeping the reason, once', () => {
    const store = stores.open();
    store.add(newUrl(1));
    expect(store.markDropped(fpOf(1), 'out of scope')).toBe(true);
    expect(store.markDropped(fpOf(1), 'again')).toBe(false);
    expect(store.get(fpOf(1))).toMatchObject({ state: 'dropped', errorClass: 'out of scope' });
    expect(store.leaseDue(leaseAll)).toEqual([]);
    expect(store.counts()).toMatchObject({ queued: 0, dropped: 1 });
  });

  it('records an unknown URL as dropped when told who it is', () => {
    const store = stores.open();
    expect(store.markDropped(fpOf(5), 'trap')).toBe(false);
    expect(store.markDropped(fpOf(5), 'trap', { ...redirectTarget, score: 0.3 })).toBe(true);
    expect(store.get(fpOf(5))).toMatchObject({ state: 'dropped', errorClass: 'trap', score: 0.3 });
    expect(store.add(newUrl(5))).toBe(false);
    // Known, so never added again, but outside the page budget: it costs no fetch.
    expect(store.hostTotal('job-a', 'example.com')).toBe(0);
    expect(store.jobTotal('job-a')).toBe(0);
  });
});

describe('markFailed and requeue', () => {
  it('fails an inflight URL and clears its lease', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.leaseDue(leaseAll);
    store.markFailed(fpOf(1), 'http_5xx');
    const entry = store.get(fpOf(1))!;
    expect(entry).toMatchObject({ state: 'failed', errorClass: 'http_5xx', attempts: 1 });
    expect(entry.lease).toBeUndefined();
    expect(store.counts()).toMatchObject({ inflight: 0, failed: 1 });
  });

  it('requeues a failed URL as due now', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.markFailed(fpOf(1), 'dns');
    store.requeue(fpOf(1), 0);
    expect(store.get(fpOf(1))).toMatchObject({ state: 'queued', notBefore: 0 });
    expect(store.leaseDue(leaseAll)).toHaveLength(1);
  });

  it('ignores unknown fingerprints', () => {
    const store = stores.open();
    store.requeue(fpOf(1), 0);
    store.markFailed(fpOf(2), 'timeout');
    expect(store.get(fpOf(1))).toBeUndefined();
    expect(store.get(fpOf(2))).toBeUndefined();
    expect(store.counts()).toEqual({ queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0 });
  });
});

describe('topHosts', () => {
  it('lists the busiest hosts first, a host key summed over jobs', () => {
    const store = stores.open();
    let n = 0;
    for (let i = 0; i < 3; i++) store.add(newUrl(n++, { hostKey: 'a.example' }));
    for (let i = 0; i < 2; i++) store.add(newUrl(n++, { hostKey: 'b.example', job: 'job-b' }));
    for (let i = 0; i < 2; i++) store.add(newUrl(n++, { hostKey: 'b.example' }));
    store.add(newUrl(n++, { hostKey: 'c.example' }));
    store.markDone(fpOf(n - 1), { status: 200, fetchedAt: 1 });
    // Never leased, a.example is the oldest host of job-a: it is served first.
    expect(store.leaseDue({ ...leaseAll, limit: 1, perHost: 1 })[0]?.hostKey).toBe('a.example');
    expect(store.topHosts(2)).toEqual([
      { hostKey: 'b.example', queued: 4, inflight: 0, done: 0 },
      { hostKey: 'a.example', queued: 2, inflight: 1, done: 0 },
    ]);
    expect(store.topHosts(10)[2]).toEqual({ hostKey: 'c.example', queued: 0, inflight: 0, done: 1 });
  });
});
