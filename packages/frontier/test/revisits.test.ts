import { join } from 'node:path';
import type { Decision, Job } from '@kraul/protocol';
import { openSqliteShardStore, type SqliteShardStore } from '@kraul/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyStats, FrontierShard, fetchRequestOf } from '../src/shard.ts';
import { makeJob, schedule, tempDir } from './fixtures.ts';

// Frontier behaviour that rests on the shard store: revisits start a fresh attempt count.

let dir: ReturnType<typeof tempDir>;
let store: SqliteShardStore;
let shard: FrontierShard;

beforeEach(() => {
  dir = tempDir('store-gaps');
  store = openSqliteShardStore({ path: join(dir.path, 'frontier-0.sqlite'), partition: 0 });
  shard = new FrontierShard(store, { baseMs: 1_000, maxMs: 60_000 });
});

afterEach(() => {
  store.close();
  dir.remove();
});

function apply(job: Job, decisions: Decision[], now: number) {
  const stats = emptyStats();
  shard.apply(job, decisions, (id) => store.jobTotal(id), now, stats);
  return stats;
}

const lease = (now: number, jobs = ['job-1']) =>
  store.leaseDue({ now, limit: 10, perHost: 10, leaseMs: 5_000, jobs });

describe('revisits', () => {
  it('gives each revisit the attempts of a first fetch', () => {
    const job = makeJob({ settings: { scope: { mode: 'any' }, maxAttempts: 2, recrawlIntervalMs: 10_000 } });
    apply(job, [schedule('https://a.test/news')], 0);
    const [first] = lease(0);
    apply(
      job,
      [{ op: 'done', url: first!.url, fp: first!.fp, lease: first!.lease!, status: 200, fetchedAt: 0 }],
      0,
    );

    const [revisit] = lease(10_000);
    // The revisit is the first attempt of a new fetch, not the second attempt of the old one...
    expect(fetchRequestOf(revisit!).attempt).toBe(1);
    // ...so one timeout of it is retried rather than ending the URL's revisits for good.
    const stats = apply(
      job,
      [
        {
          op: 'failed',
          url: revisit!.url,
          fp: revisit!.fp,
          lease: revisit!.lease!,
          errorClass: 'timeout',
          retryable: true,
        },
      ],
      10_000,
    );
    expect(stats).toMatchObject({ retried: 1, failed: 0 });
  });
});
