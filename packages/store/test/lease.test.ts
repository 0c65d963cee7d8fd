import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseOptions } from '../src/types.ts';
import { fpOf, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

const lease = (fields: Partial<LeaseOptions> = {}): LeaseOptions => ({
  now: 1_000,
  limit: 100,
  perHost: 100,
  leaseMs: 60_000,
  jobs: ['job-a'],
  ...fields,
});

describe('leases not yet sent', () => {
  it('are put back in the queue when a store is opened again before their send was confirmed', () => {
    const store = stores.open();
    for (const n of [1, 2, 3]) store.add(newUrl(n));
    const first = store.leaseDue(lease({ limit: 1 }));
    store.markSent(first[0]!.lease!);
    const second = store.leaseDue(lease({ limit: 2 }));
    expect(second).toHaveLength(2);
    store.close();

    // The process stopped with the second lease unsent: its URLs go back, the first stays out.
    const reopened = stores.open();
    expect(reopened.requeueUnsent(2_000)).toBe(2);
    expect(reopened.counts()).toMatchObject({ queued: 2, inflight: 1 });
    expect(reopened.get(first[0]!.fp)?.state).toBe('inflight');
    // Forgotten once requeued: a second look finds nothing.
    expect(reopened.requeueUnsent(2_000)).toBe(0);
    const again = reopened.leaseDue(lease({ now: 2_000 }));
    expect(again.map((entry) => entry.fp).sort()).toEqual(second.map((entry) => entry.fp).sort());
    expect(again.every((entry) => entry.attempts === 2)).toBe(true);
  });

  it('are forgotten once sent, so reopening sends nothing twice', () => {
    const store = stores.open();
    store.add(newUrl(1));
    const leased = store.leaseDue(lease());
    // An older lease named late changes nothing; the last one sent clears the record.
    store.markSent('00000000');
    store.markSent(leased[0]!.lease!);
    store.close();
    expect(stores.open().requeueUnsent(2_000)).toBe(0);
  });

  it('keep a lease token of digits alone as text', () => {
    const store = stores.open();
    store.add(newUrl(1));
    const [entry] = store.leaseDue(lease());
    store.close();
    // Made to look like a number: the record must still match the rows' text.
    const db = new DatabaseSync(stores.path());
    db.prepare('UPDATE urls SET lease = ? WHERE state = 3').run('00012345');
    db.prepare(`UPDATE store_meta SET value = 'lease 00012345' WHERE key = 'unsent_lease'`).run();
    db.close();
    const reopened = stores.open();
    expect(reopened.requeueUnsent(2_000)).toBe(1);
    expect(reopened.get(entry!.fp)?.state).toBe('queued');
  });
});

describe('leaseDue', () => {
  it('answers from memory, with no transaction, when nothing is ready and nothing can have fallen due', () => {
    const store = stores.open({ busyTimeoutMs: 0 });
    store.add(newUrl(1));
    store.add(newUrl(2, { notBefore: 10_000 }));
    expect(store.leaseDue(lease({ now: 1_000 })).map((entry) => entry.fp)).toEqual([fpOf(1)]);
    // Another connection holds the write lock: a lease that needed a transaction would fail busy.
    const other = new DatabaseSync(stores.path());
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(store.leaseDue(lease({ now: 2_000 }))).toEqual([]);
      expect(store.counts()).toMatchObject({ queued: 1, inflight: 1 });
      // The waiting URL's time has come: that lease needs the lock.
      expect(() => store.leaseDue(lease({ now: 10_000 }))).toThrow(/locked|busy/i);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(store.leaseDue(lease({ now: 10_000 })).map((entry) => entry.fp)).toEqual([fpOf(2)]);
  });

  it('feeds a host at its bound a batch at a time, and asks no transaction while none has room', () => {
    const store = stores.open({ busyTimeoutMs: 0 });
    store.transaction(() => {
      for (let n = 0; n < 10; n++) store.add(newUrl(n, { hostKey: 'busy.example' }));
    });
    const bound = { perHost: 4, maxInflightPerHost: 4, minHostRoom: 2 };
    expect(store.leaseDue(lease(bound))).toHaveLength(4);
    const first = store.get(fpOf(0))!;
    store.markDone(first.fp, { status: 200, fetchedAt: 2_000 });
    // Room for one, less than minHostRoom: not leased, and no write lock taken to find that out.
    const other = new DatabaseSync(stores.path());
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(store.leaseDue(lease(bound))).toEqual([]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // A host found now, with nothing in flight, is leased at once beside the one at its bound.
    store.add(newUrl(20, { hostKey: 'new.example' }));
    expect(store.leaseDue(lease(bound)).map((entry) => entry.hostKey)).toEqual(['new.example']);
    // Room for two: the busy host gets both.
    store.markDone(fpOf(1), { status: 200, fetchedAt: 2_000 });
    expect(store.leaseDue(lease(bound)).map((entry) => entry.hostKey)).toEqual([
      'busy.example',
      'busy.example',
    ]);
  });

  it('leases one host best score first, then oldest first', () => {
    const store = stores.open();
    const scores = [0.5, 0.9, 0.5, 0.1, 0.9, 0.7];
    for (const [n, score] of scores.entries()) store.add(newUrl(n, { score }));
    const leased = store.leaseDue(lease());
    expect(leased.map((entry) => entry.fp)).toEqual([1, 4, 5, 0, 2, 3].map(fpOf));
  });

  it('tells each leased URL how far its host has come: URLs ended, and those not ended', () => {
    const store = stores.open();
    for (const n of [1, 2, 3, 4, 5]) store.add(newUrl(n));
    store.add(newUrl(9, { hostKey: 'other.example' }));
    const first = store.leaseDue(lease({ perHost: 2 }));
    const ofHost = (entries: typeof first, host: string) =>
      entries.filter((entry) => entry.hostKey === host).map((entry) => entry.hostProgress);
    // Counted before the lease; the host's leased URLs are among those left.
    expect(ofHost(first, 'example.com')).toEqual([
      { done: 0, left: 5 },
      { done: 0, left: 5 },
    ]);
    expect(ofHost(first, 'other.example')).toEqual([{ done: 0, left: 1 }]);
    const [a, b] = first.filter((entry) => entry.hostKey === 'example.com');
    store.markDone(a!.fp, { status: 200, fetchedAt: 1_000 });
    store.markFailed(b!.fp, 'timeout');
    // A failed URL has ended as a done one has.
    const second = store.leaseDue(lease({ perHost: 1 }));
    expect(ofHost(second, 'example.com')).toEqual([{ done: 2, left: 3 }]);
  });

  it("makes each leased URL inflight with the call's fresh lease, an expiry and one more attempt", () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.add(newUrl(2));
    const leased = store.leaseDue(lease({ now: 5_000, leaseMs: 30_000 }));
    expect(leased).toHaveLength(2);
    for (const entry of leased) {
      expect(entry).toMatchObject({ state: 'inflight', attempts: 1, leaseExpiresAt: 35_000 });
      expect(entry.lease).toMatch(/^[0-9a-z]{8}$/);
      const { hostProgress: _, ...stored } = entry;
      expect(store.get(entry.fp)).toEqual(stored);
    }
    // One lease per call, shared by its URLs; the next call's is another.
    expect(leased[0]!.lease).toBe(leased[1]!.lease);
    store.add(newUrl(3));
    const next = store.leaseDue(lease({ now: 5_000, leaseMs: 30_000 }));
    expect(next[0]!.lease).toMatch(/^[0-9a-z]{8}$/);
    expect(next[0]!.lease).not.toBe(leased[0]!.lease);
    expect(store.counts()).toMatchObject({ queued: 0, inflight: 3 });
    expect(store.leaseDue(lease({ now: 6_000 }))).toEqual([]);
  });

  it('promotes a waiting URL on time although an earlier lease saw only later ones', () => {
    const store = stores.open();
    store.add(newUrl(1, { notBefore: 50_000 }));
    // This lease learns that nothing falls due before 50,000.
    expect(store.leaseDue(lease({ now: 2_000 }))).toEqual([]);
    store.add(newUrl(2, { notBefore: 3_000 }));
    const [leased] = store.leaseDue(lease({ now: 3_000 }));
    expect(leased!.fp).toBe(fpOf(2));
    store.requeue(fpOf(2), 4_000);
    expect(store.leaseDue(lease({ now: 3_500 }))).toEqual([]);
    expect(store.leaseDue(lease({ now: 4_000 })).map((entry) => entry.fp)).toEqual([fpOf(2)]);
    store.markDone(fpOf(2), { status: 200, fetchedAt: 4_100, nextFetchAt: 5_000 });
    expect(store.leaseDue(lease({ now: 5_000 })).map((entry) => entry.fp)).toEqual([fpOf(2)]);
    // A rolled-back write leaves no stale due time behind.
    expect(() =>
      store.transaction(() => {
        store.add(newUrl(3, { notBefore: 6_000 }));
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(store.leaseDue(lease({ now: 6_000 }))).toEqual([]);
    expect(store.leaseDue(lease({ now: 50_000 })).map((entry) => entry.fp)).toEqual([fpOf(1)]);
  });

  it('never lets a host hold more than maxInflightPerHost, counting earlier leases', () => {
    const store = stores.open();
    store.transaction(() => {
      for (let n = 0; n < 10; n++) store.add(newUrl(n, { hostKey: 'capped.example' }));
      for (let n = 10; n < 14; n++) store.add(newUrl(n, { hostKey: 'other.example' }));
    });
    const first = store.leaseDue(lease({ perHost: 3, maxInflightPerHost: 4 }));
    expect(countBy(first.map((entry) => entry.hostKey))).toEqual(
      new Map([
        ['capped.example', 3],
        ['other.example', 3],
      ]),
    );
    const second = store.leaseDue(lease({ perHost: 3, maxInflightPerHost: 4 }));
    expect(countBy(second.map((entry) => entry.hostKey))).toEqual(
      new Map([
        ['capped.example', 1],
        ['other.example', 1],
      ]),
    );
    expect(store.leaseDue(lease({ perHost: 3, maxInflightPerHost: 4 }))).toEqual([]);
    // What the cap held back is still due, and counted so: the frontier reads it to tell a
    // cap that held its feed back from a queue that ran dry.
    expect(store.readyCount(['job-a'])).toBe(6);
    expect(store.readyCount(['job-b'])).toBe(0);
    const capped = first.find((entry) => entry.hostKey === 'capped.example')!;
    store.markDone(capped.fp, { status: 200, fetchedAt: 2_000 });
    expect(
      store.leaseDue(lease({ perHost: 3, maxInflightPerHost: 4 })).map((entry) => entry.hostKey),
    ).toEqual(['capped.example']);
  });

  it('takes at most perHost of a big host and serves the small hosts, hosts interleaved', () => {
    const store = stores.open();
    let n = 0;
    store.transaction(() => {
      for (let i = 0; i < 1000; i++) store.add(newUrl(n++, { hostKey: 'big.example', score: 0.9 }));
      for (let h = 0; h < 20; h++) {
        for (let i = 0; i < 5; i++) store.add(newUrl(n++, { hostKey: `small-${h}.example`, score: 0.1 }));
      }
    });
    const first = store.leaseDue(lease({ limit: 50, perHost: 3 }));
    expect(first).toHaveLength(50);
    const perHost = countBy(first.map((entry) => entry.hostKey));
    expect(perHost.get('big.example') ?? 0).toBeLessThanOrEqual(3);
    expect(Math.max(...perHost.values())).toBeLessThanOrEqual(3);
    expect([...perHost.keys()].filter((host) => host.startsWith('small-')).length).toBeGreaterThanOrEqual(16);
    // Interleaved: the first round holds one URL of each host served.
    const firstRound = first.slice(0, perHost.size).map((entry) => entry.hostKey);
    expect(new Set(firstRound).size).toBe(perHost.size);

    // Round-robin: the hosts left out of the first lease come first in the next one.
    const second = store.leaseDue(lease({ now: 2_000, limit: 50, perHost: 3 }));
    const served = new Set([...first, ...second].map((entry) => entry.hostKey));
    expect(served.size).toBe(21);
    const leftOut = new Set(second.slice(0, 21 - perHost.size).map((entry) => entry.hostKey));
    for (const host of leftOut) expect(perHost.has(host)).toBe(false);
  });

  it('leaves a URL alone until its notBefore', () => {
    const store = stores.open();
    store.add(newUrl(1, { notBefore: 10_000 }));
    store.add(newUrl(2, { notBefore: 20_000 }));
    expect(store.nextDueAt(['job-a'])).toBe(10_000);
    expect(store.leaseDue(lease({ now: 9_999 }))).toEqual([]);
    expect(store.leaseDue(lease({ now: 10_000 })).map((entry) => entry.fp)).toEqual([fpOf(1)]);
    expect(store.nextDueAt(['job-a'])).toBe(20_000);
    expect(store.leaseDue(lease({ now: 25_000 })).map((entry) => entry.fp)).toEqual([fpOf(2)]);
    expect(store.nextDueAt(['job-a'])).toBeUndefined();
  });

  it('answers nextDueAt with 0 while URLs are due, and leaves out jobs not asked about', () => {
    const store = stores.open();
    expect(store.nextDueAt(['job-a'])).toBeUndefined();
    store.add(newUrl(1, { job: 'job-b', notBefore: 3_000 }));
    expect(store.nextDueAt(['job-a'])).toBeUndefined();
    expect(store.nextDueAt(['job-a', 'job-b'])).toBe(3_000);
    store.add(newUrl(2));
    expect(store.nextDueAt(['job-a', 'job-b'])).toBe(0);
  });

  it('puts a requeued URL back after its notBefore, keeping its attempts', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.leaseDue(lease());
    store.requeue(fpOf(1), 50_000);
    expect(store.get(fpOf(1))).toMatchObject({ state: 'queued', notBefore: 50_000, attempts: 1 });
    expect(store.get(fpOf(1))?.lease).toBeUndefined();
    expect(store.leaseDue(lease({ now: 49_999 }))).toEqual([]);
    expect(store.leaseDue(lease({ now: 50_000 }))).toMatchObject([{ fp: fpOf(1), attempts: 2 }]);
  });

  it('leases only URLs of the jobs it is given (paused jobs are left out)', () => {
    const store = stores.open();
    store.add(newUrl(1, { job: 'running' }));
    store.add(newUrl(2, { job: 'paused' }));
    store.add(newUrl(3, { job: 'paused', notBefore: 500 }));
    expect(store.leaseDue(lease({ jobs: ['running', 'unknown'] })).map((entry) => entry.fp)).toEqual([
      fpOf(1),
    ]);
    expect(store.leaseDue(lease({ jobs: [] }))).toEqual([]);
    expect(store.counts('paused').queued).toBe(2);
    const resumed = store.leaseDue(lease({ jobs: ['running', 'paused'] }));
    expect(resumed.map((entry) => entry.fp).sort()).toEqual([fpOf(2), fpOf(3)]);
  });

  it('respects limit across hosts and jobs', () => {
    const store = stores.open();
    for (let n = 0; n < 30; n++)
      store.add(newUrl(n, { job: n % 2 ? 'job-a' : 'job-b', hostKey: `h${n % 6}` }));
    const leased = store.leaseDue(lease({ limit: 7, perHost: 2, jobs: ['job-a', 'job-b'] }));
    expect(leased).toHaveLength(7);
    expect(store.leaseDue(lease({ limit: 0 }))).toEqual([]);
    expect(store.leaseDue(lease({ perHost: 0 }))).toEqual([]);
    expect(store.leaseDue(lease({ limit: 2.7, perHost: 1.5, jobs: ['job-a', 'job-b'] }))).toHaveLength(2);
  });

  it('leases a done URL again once its revisit is due, keeping its validators', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.leaseDue(lease({ now: 1_000 }));
    const validators = { etag: '"v1"', lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' };
    store.markDone(fpOf(1), { status: 200, fetchedAt: 1_500, validators, nextFetchAt: 90_000 });
    expect(store.get(fpOf(1))).toMatchObject({ state: 'done', nextFetchAt: 90_000, validators });
    expect(store.nextDueAt(['job-a'])).toBe(90_000);
    expect(store.leaseDue(lease({ now: 89_999 }))).toEqual([]);
    expect(store.counts().done).toBe(1);

    const [revisit] = store.leaseDue(lease({ now: 90_000 }));
    expect(revisit).toMatchObject({
      fp: fpOf(1),
      state: 'inflight',
      attempts: 1,
      status: 200,
      lastFetchAt: 1_500,
      validators,
    });
    expect(store.counts()).toMatchObject({ done: 0, inflight: 1 });
    expect(store.markDone(fpOf(1), { status: 304, fetchedAt: 90_100, validators })).toBe(true);
    expect(store.get(fpOf(1))).toMatchObject({ state: 'done', status: 304, lastFetchAt: 90_100 });
    expect(store.nextDueAt(['job-a'])).toBeUndefined();
  });
});

describe('expiredLeases', () => {
  it('lists inflight URLs whose lease ran out, oldest first, up to the limit', () => {
    const store = stores.open();
    store.add(newUrl(1));
    store.leaseDue(lease({ now: 1_000, leaseMs: 100 }));
    store.add(newUrl(2));
    store.add(newUrl(3));
    store.leaseDue(lease({ now: 1_050, leaseMs: 100 }));

    expect(store.expiredLeases(1_099, 10)).toEqual([]);
    expect(store.expiredLeases(1_100, 10).map((entry) => entry.fp)).toEqual([fpOf(1)]);
    const all = store.expiredLeases(2_000, 10);
    expect(all.map((entry) => entry.fp)).toEqual([1, 2, 3].map(fpOf));
    expect(all[0]).toMatchObject({ state: 'inflight', leaseExpiresAt: 1_100, attempts: 1 });
    expect(store.expiredLeases(2_000, 2)).toHaveLength(2);

    store.markDone(fpOf(1), { status: 200, fetchedAt: 1_200 });
    store.markFailed(fpOf(2), 'timeout');
    store.requeue(fpOf(3), 0);
    expect(store.expiredLeases(2_000, 10)).toEqual([]);
  });
});

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
