import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, STATE } from '../src/schema.ts';
import type { UrlIdentity } from '../src/types.ts';
import { fpOf, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

const leaseAll = { now: 1_000, limit: 100, perHost: 100, leaseMs: 60_000, jobs: ['job-a', 'job-b'] };
const link = (n: number, depth = 3): UrlIdentity => ({
  url: `https://example.com/link/${n}`,
  job: 'job-a',
  hostKey: 'example.com',
  depth,
});

describe('reasons of failed and dropped URLs', () => {
  it('keeps the reason, message and last status with the URL, and counts per reason', () => {
    const store = stores.open();
    for (const n of [1, 2, 3]) store.add(newUrl(n));
    store.leaseDue(leaseAll);
    store.markFailed(fpOf(1), 'http_status', { reason: 'http_5xx', message: 'HTTP 503', status: 503 });
    store.markFailed(fpOf(2), 'timeout', { message: 'no answer within 30s' });
    store.markDropped(fpOf(3), 'disallowed by robots.txt', undefined, { reason: 'robots' });
    store.markDropped(fpOf(4), 'depth 4 over 3', link(4, 4), { reason: 'depth' });
    store.markDropped(fpOf(5), 'other host', link(5));

    expect(store.reasonCounts('job-a')).toEqual({
      failed: { http_5xx: 1, timeout: 1 },
      dropped: { robots: 1, depth: 1, out_of_scope: 1 },
    });
    expect(store.counts('job-a')).toMatchObject({ failed: 2, dropped: 3 });
    expect(store.endDetail(fpOf(1))).toEqual({ reason: 'http_5xx', message: 'HTTP 503', depth: 1 });
    expect(store.endDetail(fpOf(4))).toEqual({ reason: 'depth', message: 'depth 4 over 3', depth: 4 });

    const ended = store.endedUrls({ limit: 100 });
    expect(ended.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        job: 'job-a',
        url: 'https://example.com/page/1',
        state: 'failed',
        reason: 'http_5xx',
        message: 'HTTP 503',
        attempts: 1,
        depth: 1,
        status: 503,
      },
      {
        job: 'job-a',
        url: 'https://example.com/page/2',
        state: 'failed',
        reason: 'timeout',
        message: 'no answer within 30s',
        attempts: 1,
        depth: 1,
      },
      {
        job: 'job-a',
        url: 'https://example.com/page/3',
        state: 'dropped',
        reason: 'robots',
        message: 'disallowed by robots.txt',
        attempts: 1,
        depth: 1,
      },
      {
        job: 'job-a',
        url: 'https://example.com/link/4',
        state: 'dropped',
        reason: 'depth',
        message: 'depth 4 over 3',
        attempts: 0,
        depth: 4,
      },
      {
        job: 'job-a',
        url: 'https://example.com/link/5',
        state: 'dropped',
        reason: 'out_of_scope',
        message: 'other host',
        attempts: 0,
        depth: 3,
      },
    ]);
    // Pages: two at a time, each after the last one seen.
    const first = store.endedUrls({ limit: 2 });
    const second = store.endedUrls({ limit: 2, afterId: first.at(-1)!.id });
    expect([...first, ...second].map((url) => url.url)).toEqual(ended.slice(0, 4).map((url) => url.url));
    expect(store.endedUrls({ job: 'job-b', limit: 10 })).toEqual([]);
  });

  it('moves the counters when a URL leaves an end state, and counts a dropped URL once', () => {
    const store = stores.open();
    expect(store.markDropped(fpOf(4), 'depth 4 over 3', link(4, 4), { reason: 'depth' })).toBe(true);
    expect(store.markDropped(fpOf(4), 'depth 4 over 3', link(4, 4), { reason: 'depth' })).toBe(false);
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: { depth: 1 } });

    // Found again at a depth the job takes: queued, and no longer counted as dropped.
    expect(store.requeueDropped(fpOf(4), { score: 1, depth: 2 })).toBe(true);
    expect(store.requeueDropped(fpOf(4), { score: 1, depth: 2 })).toBe(false);
    expect(store.get(fpOf(4))).toMatchObject({ state: 'queued', depth: 2, score: 1 });
    expect(store.endDetail(fpOf(4))).toBeUndefined();
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: {} });
    expect(store.counts()).toMatchObject({ queued: 1, dropped: 0 });

    store.leaseDue(leaseAll);
    store.markFailed(fpOf(4), 'connect');
    expect(store.reasonCounts()).toEqual({ failed: { connection: 1 }, dropped: {} });
    // A late report of the page's success counts it done and no longer failed.
    store.markDone(fpOf(4), { status: 200, fetchedAt: 2_000 });
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: {} });
  });

  it('rolls the counters back with the transaction', () => {
    const store = stores.open();
    expect(() =>
      store.transaction(() => {
        store.markDropped(fpOf(7), 'trap: counting sequence', link(7), { reason: 'trap' });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: {} });
  });
});

describe('a shard file of schema version 1', () => {
  it('opens, and its failed and dropped URLs get reasons from the text they kept', () => {
    const path = stores.path();
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.exec('INSERT INTO schema_version VALUES (1, 0)');
    db.exec(`INSERT INTO store_meta VALUES ('partition', 0)`);
    db.exec(`INSERT INTO jobs (job, failed, dropped, done) VALUES ('job-a', 1, 3, 1)`);
    db.exec(
      `INSERT INTO hosts (job_id, host_key, failed, dropped, done, lease_turn) VALUES (1, 'example.com', 1, 3, 1, 1)`,
    );
    const insert =
      db.prepare(`INSERT INTO urls (fp, host_id, job_id, state, score, depth, attempts, url, error_class, status)
      VALUES (?, 1, 1, ?, 0, 1, ?, ?, ?, ?)`);
    insert.run(fpOf(1), STATE.failed, 3, 'https://example.com/1', 'timeout', null);
    insert.run(fpOf(2), STATE.dropped, 1, 'https://example.com/2', 'robots.txt', null);
    insert.run(fpOf(3), STATE.dropped, 0, 'https://example.com/3', 'trap: session id parameter "sid"', null);
    insert.run(fpOf(4), STATE.dropped, 0, 'https://example.com/4', 'other host', null);
    insert.run(fpOf(5), STATE.done, 1, 'https://example.com/5', null, 200);
    db.close();

    const store = stores.open();
    expect(store.counts('job-a')).toEqual({ queued: 0, inflight: 0, done: 1, failed: 1, dropped: 3 });
    expect(store.reasonCounts('job-a')).toEqual({
      failed: { timeout: 1 },
      dropped: { robots: 1, trap: 1, out_of_scope: 1 },
    });
    expect(store.endedUrls({ limit: 10 }).map((url) => [url.reason, url.message])).toEqual([
      ['timeout', 'timeout'],
      ['robots', 'robots.txt'],
      ['trap', 'trap: session id parameter "sid"'],
      ['out_of_scope', 'other host'],
    ]);
    store.close();

    const reopened = new DatabaseSync(path);
    const version = reopened.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number };
    reopened.close();
    expect(version.v).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(5);
  });
});
