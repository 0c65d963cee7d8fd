import { join } from 'node:path';
import type { Decision, FailedDecision, Job } from '@kraul/protocol';
import { openSqliteShardStore, type SqliteShardStore } from '@kraul/store';
import { fingerprint } from '@kraul/url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplyStats, emptyStats, FrontierShard } from '../src/shard.ts';
import { makeJob, schedule, tempDir } from './fixtures.ts';

const T0 = 1_000_000;
let dir: ReturnType<typeof tempDir>;
let store: SqliteShardStore;
let shard: FrontierShard;

beforeEach(() => {
  dir = tempDir('reasons');
  store = openSqliteShardStore({ path: join(dir.path, 'frontier-0.sqlite'), partition: 0 });
  shard = new FrontierShard(store, { baseMs: 1_000, maxMs: 60_000 });
});

afterEach(() => {
  store.close();
  dir.remove();
});

function apply(job: Job, decisions: Decision[]): ApplyStats {
  const stats = emptyStats();
  shard.apply(job, decisions, (id) => store.jobTotal(id), T0, stats);
  return stats;
}

function leaseAll(): void {
  store.leaseDue({ now: T0, limit: 100, perHost: 100, leaseMs: 5_000, jobs: ['job-1'] });
}

function failed(url: string, fields: Partial<FailedDecision>): FailedDecision {
  const lease = store.get(fingerprint(url))!.lease!;
  return {
    op: 'failed',
    url,
    fp: fingerprint(url),
    lease,
    errorClass: 'timeout',
    retryable: false,
    ...fields,
  };
}

const drop = (url: string, reason: string, code?: 'depth' | 'trap', depth = 3): Decision => ({
  op: 'drop',
  url,
  fp: fingerprint(url),
  reason,
  ...(code ? { code } : {}),
  depth,
});

describe('FrontierShard: reasons', () => {
  it('records why each URL failed or was dropped, and counts it per reason', () => {
    const job = makeJob({ settings: { maxAttempts: 1 } });
    const urls = [
      'https://a.test/503',
      'https://a.test/404',
      'https://a.test/private',
      'https://a.test/away',
    ];
    apply(
      job,
      urls.map((url) => schedule(url)),
    );
    leaseAll();
    const stats = apply(job, [
      failed(urls[0]!, { errorClass: 'http_status', retryable: true, status: 503, message: 'HTTP 503' }),
      failed(urls[1]!, { errorClass: 'http_status', status: 429, message: 'HTTP 429' }),
      failed(urls[2]!, { errorClass: 'robots', message: 'disallowed by https://a.test/robots.txt' }),
      failed(urls[3]!, {
        errorClass: 'out_of_scope',
        message: 'redirect to https://b.test/ leaves the scope',
      }),
      drop('https://a.test/cal?d=9', 'trap: 6 pages in a row', 'trap'),
      drop('https://b.test/', 'other host'),
    ]);
    expect(stats).toMatchObject({ failed: 2, dropped: 4 });
    expect(Object.fromEntries(stats.ended)).toEqual({
      'failed/http_5xx': 1,
      'failed/http_4xx': 1,
      'dropped/robots': 1,
      'dropped/out_of_scope': 2,
      'dropped/trap': 1,
    });
    expect(store.reasonCounts('job-1')).toEqual({
      failed: { http_5xx: 1, http_4xx: 1 },
      dropped: { robots: 1, out_of_scope: 2, trap: 1 },
    });
    expect(store.endedUrls({ limit: 10 })[0]).toMatchObject({
      url: urls[0],
      state: 'failed',
      reason: 'http_5xx',
      message: 'HTTP 503',
      status: 503,
      attempts: 1,
    });
  });

  it('never lets a drop end a URL it knows, and takes a URL dropped for its depth when found shallower', () => {
    const job = makeJob();
    apply(job, [schedule('https://a.test/queued')]);
    expect(apply(job, [drop('https://a.test/queued', 'depth 21 over 20', 'depth')])).toMatchObject({
      duplicate: 1,
      dropped: 0,
    });
    expect(store.get(fingerprint('https://a.test/queued'))?.state).toBe('queued');

    apply(job, [drop('https://a.test/deep', 'depth 21 over 20', 'depth', 21)]);
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: { depth: 1 } });
    expect(apply(job, [schedule('https://a.test/deep', { depth: 3 })])).toMatchObject({ added: 1 });
    expect(store.get(fingerprint('https://a.test/deep'))).toMatchObject({ state: 'queued', depth: 3 });
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: {} });

    // A trap stays a trap.
    apply(job, [drop('https://a.test/cal?d=9', 'trap', 'trap')]);
    expect(apply(job, [schedule('https://a.test/cal?d=9')])).toMatchObject({ duplicate: 1, added: 0 });
  });

  it('records links over the page budget as dropped for the budget', () => {
    const job = makeJob({ settings: { scope: { mode: 'any', maxPages: 2 } } });
    const stats = apply(
      job,
      ['https://a.test/1', 'https://a.test/2', 'https://a.test/3', 'https://a.test/4'].map((url) =>
        schedule(url),
      ),
    );
    expect(stats).toMatchObject({ added: 2, overBudget: 2 });
    expect(store.reasonCounts('job-1')).toEqual({ failed: {}, dropped: { budget: 2 } });
    expect(store.endedUrls({ limit: 10 }).map((url) => url.message)).toEqual([
      'over the budget of 2 pages',
      'over the budget of 2 pages',
    ]);
    expect(store.jobTotal('job-1')).toBe(2);
  });
});
