import { join } from 'node:path';
import type { Decision, DoneDecision, FailedDecision, Job } from '@kraul/protocol';
import { type LeaseOptions, openSqliteShardStore, type SqliteShardStore, type UrlEntry } from '@kraul/store';
import { fingerprint } from '@kraul/url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../src/retry-policy.ts';
import { type ApplyStats, emptyStats, FrontierShard, fetchRequestOf, type JobTotal } from '../src/shard.ts';
import { makeJob, schedule, tempDir } from './fixtures.ts';

const RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 60_000 };
const LEASE_MS = 5_000;
const T0 = 1_000_000;

let dir: ReturnType<typeof tempDir>;
let stores: SqliteShardStore[];

beforeEach(() => {
  dir = tempDir('shard');
  stores = [];
});

afterEach(() => {
  for (const store of stores) store.close();
  dir.remove();
});

function openShard(partition = 0): FrontierShard {
  const store = openSqliteShardStore({ path: join(dir.path, `frontier-${partition}.sqlite`), partition });
  stores.push(store);
  return new FrontierShard(store, RETRY);
}

/** The page budget of the job over the given shards, as the worker computes it. */
const totalOver =
  (...shards: FrontierShard[]): JobTotal =>
  (job) =>
    shards.reduce((sum, shard) => sum + shard.store.jobTotal(job), 0);

function apply(
  shard: FrontierShard,
  job: Job,
  decisions: Decision[],
  now = T0,
  jobTotal?: JobTotal,
): ApplyStats {
  const stats = emptyStats();
  shard.apply(job, decisions, jobTotal ?? totalOver(shard), now, stats);
  return stats;
}

function lease(shard: FrontierShard, now: number, fields: Partial<LeaseOptions> = {}): UrlEntry[] {
  return shard.store.leaseDue({
    now,
    limit: 100,
    perHost: 100,
    leaseMs: LEASE_MS,
    jobs: ['job-1'],
    ...fields,
  });
}

function done(entry: UrlEntry, fields: Partial<DoneDecision> = {}): DoneDecision {
  return {
    op: 'done',
    url: entry.url,
    fp: entry.fp,
    lease: entry.lease!,
    status: 200,
    fetchedAt: T0,
    ...fields,
  };
}

function failed(entry: UrlEntry, fields: Partial<FailedDecision> = {}): FailedDecision {
  return {
    op: 'failed',
    url: entry.url,
    fp: entry.fp,
    lease: entry.lease!,
    errorClass: 'timeout',
    retryable: true,
    ...fields,
  };
}

describe('FrontierShard.apply: schedule', () => {
  it('adds a URL once, however often and in however many batches it is scheduled', () => {
    const shard = openShard();
    const job = makeJob();
    const url = 'https://a.test/page';
    expect(apply(shard, job, [schedule(url), schedule(url)])).toMatchObject({ added: 1, duplicate: 1 });
    expect(apply(shard, job, [schedule(url, { score: 9 })])).toMatchObject({ added: 0, duplicate: 1 });
    expect(shard.store.counts('job-1')).toMatchObject({ queued: 1 });
    expect(shard.store.get(fingerprint(url))).toMatchObject({
      url,
      score: 0,
      state: 'queued',
      hostKey: 'a.test',
    });
  });

  it('keeps score, depth, not-before and meta of the first decision', () => {
    const shard = openShard();
    const url = 'https://a.test/later';
    apply(shard, makeJob(), [
      schedule(url, { score: 2.5, depth: 3, notBefore: T0 + 10_000, meta: { kind: 'x' } }),
    ]);
    expect(shard.store.get(fingerprint(url))).toMatchObject({
      score: 2.5,
      depth: 3,
      notBefore: T0 + 10_000,
      meta: { kind: 'x' },
    });
    expect(lease(shard, T0 + 9_999)).toEqual([]);
    expect(lease(shard, T0 + 10_000).map((entry) => entry.url)).toEqual([url]);
  });

  it('adds no more URLs of one host than maxPagesPerHost', () => {
    const shard = openShard();
    const job = makeJob({ settings: { scope: { mode: 'any', maxPagesPerHost: 2 } } });
    const stats = apply(shard, job, [
      schedule('https://a.test/1'),
      schedule('https://a.test/2'),
      schedule('https://a.test/3'),
      schedule('https://b.test/1'),
    ]);
    expect(stats).toMatchObject({ added: 3, overBudget: 1 });
    expect(shard.store.hostTotal('job-1', 'a.test')).toBe(2);
    expect(shard.store.hostTotal('job-1', 'b.test')).toBe(1);
  });

  it('adds no more URLs of a job than maxPages, counted over every shard', () => {
    const first = openShard(0);
    const second = openShard(1);
    const job = makeJob({ settings: { scope: { mode: 'any', maxPages: 3 } } });
    const jobTotal = totalOver(first, second);
    expect(
      apply(first, job, [schedule('https://a.test/1'), schedule('https://a.test/2')], T0, jobTotal),
    ).toMatchObject({ added: 2 });
    expect(
      apply(second, job, [schedule('https://b.test/1'), schedule('https://b.test/2')], T0, jobTotal),
    ).toMatchObject({ added: 1, overBudget: 1 });
    expect(jobTotal('job-1')).toBe(3);
  });

  it('schedules nothing for a stopped job', () => {
    const shard = openShard();
    const stats = apply(shard, makeJob({ state: 'stopped' }), [schedule('https://a.test/1')]);
    expect(stats.added).toBe(0);
    expect(shard.store.jobTotal('job-1')).toBe(0);
  });

  it('skips a decision whose URL has no host, and applies the rest of the batch', () => {
    const shard = openShard();
    const stats = apply(shard, makeJob(), [
      schedule('https://a.test/1'),
      { op: 'schedule', url: 'not a url', fp: '00000000000000aa', score: 0, depth: 1 },
      { op: 'drop', url: 'mailto:x@a.test', fp: '00000000000000bb', reason: 'other' },
      schedule('https://a.test/2'),
    ]);
    expect(stats).toMatchObject({ added: 2, invalid: 2 });
    expect(shard.store.counts('job-1')).toMatchObject({ queued: 2, dropped: 0 });
  });

  it('never adds a URL that was dropped', () => {
    const shard = openShard();
    const url = 'https://a.test/denied';
    const stats = apply(shard, makeJob(), [{ op: 'drop', url, fp: fingerprint(url), reason: 'denied' }]);
    expect(stats.dropped).toBe(1);
    expect(apply(shard, makeJob(), [schedule(url)])).toMatchObject({ added: 0, duplicate: 1 });
    expect(shard.store.get(fingerprint(url))).toMatchObject({ state: 'dropped', errorClass: 'denied' });
  });
});

describe('FrontierShard.apply: reports', () => {
  it('records done once: a repeated report changes nothing', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/1')]);
    const [entry] = lease(shard, T0);
    expect(apply(shard, job, [done(entry!, { validators: { etag: '"e1"' } })])).toMatchObject({ done: 1 });
    expect(apply(shard, job, [done(entry!, { status: 500, fetchedAt: T0 + 5 })])).toMatchObject({
      done: 0,
      stale: 1,
    });
    expect(shard.store.get(entry!.fp)).toMatchObject({
      state: 'done',
      status: 200,
      lastFetchAt: T0,
      validators: { etag: '"e1"' },
    });
    expect(shard.store.counts('job-1')).toMatchObject({ done: 1, inflight: 0, queued: 0 });
  });

  it('records a URL it never queued as done (the final URL of a redirect), so it is not added later', () => {
    const shard = openShard();
    const url = 'https://b.test/final';
    apply(shard, makeJob(), [
      { op: 'done', url, fp: fingerprint(url), lease: '', status: 200, fetchedAt: T0 },
    ]);
    expect(shard.store.get(fingerprint(url))).toMatchObject({ state: 'done', hostKey: 'b.test' });
    expect(apply(shard, makeJob(), [schedule(url)])).toMatchObject({ added: 0, duplicate: 1 });
  });

  it('requeues a retryable failure with backoff until maxAttempts, then records it failed', () => {
    const shard = openShard();
    const job = makeJob({ settings: { scope: { mode: 'any' }, maxAttempts: 3 } });
    apply(shard, job, [schedule('https://a.test/flaky')]);

    let now = T0;
    const [first] = lease(shard, now);
    expect(first!.attempts).toBe(1);
    expect(apply(shard, job, [failed(first!)], now)).toMatchObject({ retried: 1 });
    expect(shard.store.get(first!.fp)).toMatchObject({ state: 'queued', notBefore: now + 1_000 });
    expect(lease(shard, now + 999)).toEqual([]);

    now += 1_000;
    const [second] = lease(shard, now);
    expect(second!.attempts).toBe(2);
    expect(apply(shard, job, [failed(second!)], now)).toMatchObject({ retried: 1 });
    expect(shard.store.get(first!.fp)).toMatchObject({ state: 'queued', notBefore: now + 2_000 });

    now += 2_000;
    const [third] = lease(shard, now);
    expect(third!.attempts).toBe(3);
    expect(apply(shard, job, [failed(third!, { errorClass: 'http_status' })], now)).toMatchObject({
      retried: 0,
      failed: 1,
    });
    expect(shard.store.get(first!.fp)).toMatchObject({ state: 'failed', errorClass: 'http_status' });
    expect(lease(shard, now + 3_600_000)).toEqual([]);
  });

  it("waits for the server's Retry-After when it is longer than the backoff", () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/busy')]);
    const [entry] = lease(shard, T0);
    apply(shard, job, [failed(entry!, { errorClass: 'http_status', retryAfterMs: 30_000 })]);
    expect(shard.store.get(entry!.fp)).toMatchObject({ state: 'queued', notBefore: T0 + 30_000 });
  });

  it('records a failure that is not retryable at once', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/gone')]);
    const [entry] = lease(shard, T0);
    expect(apply(shard, job, [failed(entry!, { errorClass: 'dns', retryable: false })])).toMatchObject({
      failed: 1,
    });
    expect(shard.store.get(entry!.fp)).toMatchObject({ state: 'failed', errorClass: 'dns', attempts: 1 });
  });

  it('ignores the failure report of a lease no longer in force', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/1')]);
    const [old] = lease(shard, T0);
    // The lease ran out and the URL went out again under a new lease.
    expect(shard.expireLeases(new Map([[job.id, job]]), T0 + LEASE_MS)).toEqual({ resent: 1, failed: 0 });
    const [current] = lease(shard, T0 + LEASE_MS);
    expect(current!.lease).not.toBe(old!.lease);

    expect(apply(shard, job, [failed(old!, { retryable: false })])).toMatchObject({ stale: 1, failed: 0 });
    expect(shard.store.get(old!.fp)).toMatchObject({ state: 'inflight', lease: current!.lease, attempts: 2 });
    // A failure of a URL not in flight at all is stale too.
    apply(shard, job, [schedule('https://a.test/queued')]);
    const queued = shard.store.get(fingerprint('https://a.test/queued'))!;
    expect(apply(shard, job, [failed({ ...queued, lease: 'whatever' })])).toMatchObject({ stale: 1 });
  });

  it('takes a done report even from an old lease: the page was fetched', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/1')]);
    const [old] = lease(shard, T0);
    shard.expireLeases(new Map([[job.id, job]]), T0 + LEASE_MS);
    expect(apply(shard, job, [done(old!)])).toMatchObject({ done: 1 });
    expect(shard.store.get(old!.fp)?.state).toBe('done');
    expect(lease(shard, T0 + LEASE_MS)).toEqual([]);
  });
});

describe('FrontierShard leases', () => {
  it('sends an expired lease again as a new attempt, and fails it once the attempts are spent', () => {
    const shard = openShard();
    const job = makeJob({ settings: { scope: { mode: 'any' }, maxAttempts: 2 } });
    const jobs = new Map([[job.id, job]]);
    apply(shard, job, [schedule('https://a.test/lost')]);
    const [first] = lease(shard, T0);

    expect(shard.expireLeases(jobs, T0 + LEASE_MS - 1)).toEqual({ resent: 0, failed: 0 });
    expect(shard.expireLeases(jobs, T0 + LEASE_MS)).toEqual({ resent: 1, failed: 0 });
    const [second] = lease(shard, T0 + LEASE_MS);
    expect(fetchRequestOf(second!)).toMatchObject({ url: first!.url, attempt: 2, lease: second!.lease });

    expect(shard.expireLeases(jobs, T0 + 2 * LEASE_MS)).toEqual({ resent: 0, failed: 1 });
    expect(shard.store.get(first!.fp)).toMatchObject({ state: 'failed', errorClass: 'timeout' });
  });

  it('records a robots.txt refusal as dropped, and retries while robots.txt is unreachable', () => {
    const shard = openShard();
    const job = makeJob({ settings: { scope: { mode: 'any' } } });
    apply(shard, job, [schedule('https://a.test/private'), schedule('https://b.test/page')]);
    const [refused, unreachable] = lease(shard, T0);
    expect(
      apply(shard, job, [
        failed(refused!, { errorClass: 'robots', retryable: false }),
        failed(unreachable!, { errorClass: 'robots', retryable: true }),
      ]),
    ).toMatchObject({ dropped: 1, retried: 1, failed: 0 });
    expect(shard.store.get(refused!.fp)).toMatchObject({ state: 'dropped' });
    expect(shard.store.get(unreachable!.fp)).toMatchObject({ state: 'queued' });
    // A refused URL costs no page of the budget.
    expect(shard.store.hostTotal(job.id, 'a.test')).toBe(0);
  });

  it('releases every lease at once, each due again now', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [
      schedule('https://a.test/1'),
      schedule('https://a.test/2'),
      schedule('https://b.test/1'),
    ]);
    expect(lease(shard, T0)).toHaveLength(3);
    expect(shard.store.counts('job-1')).toMatchObject({ inflight: 3 });

    expect(shard.releaseAllLeases(T0 + 10)).toBe(3);
    expect(shard.store.counts('job-1')).toMatchObject({ inflight: 0, queued: 3 });
    expect(shard.releaseAllLeases(T0 + 10)).toBe(0);
    const again = lease(shard, T0 + 10);
    expect(again.map((entry) => entry.attempts)).toEqual([2, 2, 2]);
  });

  it('leases a done URL again after the recrawl interval, with its validators in the request', () => {
    const shard = openShard();
    const job = makeJob({ settings: { scope: { mode: 'any' }, recrawlIntervalMs: 60_000 } });
    apply(shard, job, [schedule('https://a.test/news', { score: 1, depth: 2 })]);
    const [entry] = lease(shard, T0);
    const validators = { etag: '"v7"', lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' };
    apply(shard, job, [done(entry!, { fetchedAt: T0 + 100, validators })]);
    expect(shard.store.get(entry!.fp)).toMatchObject({ state: 'done', nextFetchAt: T0 + 60_100 });

    expect(lease(shard, T0 + 60_099)).toEqual([]);
    const [revisit] = lease(shard, T0 + 60_100);
    expect(fetchRequestOf(revisit!)).toEqual({
      type: 'fetch.request',
      job: 'job-1',
      url: 'https://a.test/news',
      fp: entry!.fp,
      depth: 2,
      score: 1,
      attempt: revisit!.attempts,
      lease: revisit!.lease,
      validators,
      // Its host's one URL is due again: nothing of the host has ended now.
      hostProgress: { done: 0, left: 1 },
    });
  });

  it('does not revisit a done URL when the job has no recrawl interval', () => {
    const shard = openShard();
    const job = makeJob();
    apply(shard, job, [schedule('https://a.test/once')]);
    const [entry] = lease(shard, T0);
    apply(shard, job, [done(entry!)]);
    expect(lease(shard, T0 + 365 * 86_400_000)).toEqual([]);
  });
});

describe('fetchRequestOf', () => {
  it('carries meta and leaves out empty validators', () => {
    const shard = openShard();
    apply(shard, makeJob(), [schedule('https://a.test/sitemap.xml', { meta: { kind: 'sitemap' } })]);
    const [entry] = lease(shard, T0);
    const request = fetchRequestOf(entry!);
    expect(request).toMatchObject({ attempt: 1, meta: { kind: 'sitemap' }, lease: entry!.lease });
    expect(request).not.toHaveProperty('validators');
  });
});
