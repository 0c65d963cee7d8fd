import { join } from 'node:path';
import type { Job, RobotsDecision } from '@kraul/protocol';
import { openSqliteShardStore, type SqliteShardStore } from '@kraul/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostRobots } from '../src/host-robots.ts';
import { emptyStats, FrontierShard } from '../src/shard.ts';
import { makeJob, schedule, tempDir } from './fixtures.ts';

const T0 = 1_000_000;
const ROBOTS = 'User-agent: *\nDisallow: /private/\n\nUser-agent: other\nDisallow: /\n';

const robots = (fields: Partial<RobotsDecision> = {}): RobotsDecision => ({
  op: 'robots',
  url: 'https://a.test/robots.txt',
  token: 'kraul',
  text: ROBOTS,
  expiresAt: T0 + 60_000,
  ...fields,
});

describe('HostRobots', () => {
  it("applies a host's reported rules, for its own token, until they expire", () => {
    const known = new HostRobots();
    expect(known.disallows('https://a.test/private/1', T0)).toBe(false);
    known.learn(robots());
    expect(known.disallows('https://a.test/private/1', T0)).toBe(true);
    expect(known.disallows('https://a.test/public/1', T0)).toBe(false);
    // Another origin (scheme, host or port) has rules of its own.
    expect(known.disallows('http://a.test/private/1', T0)).toBe(false);
    expect(known.disallows('https://a.test:8443/private/1', T0)).toBe(false);
    // The origin is read from the normalised form; query and fragment are not part of it.
    expect(known.disallows('https://a.test?x=/private/', T0)).toBe(false);
    expect(known.disallows('https://a.test/private/1?x#y', T0)).toBe(true);
    expect(known.disallows('https://a.test/private/1', T0 + 60_000)).toBe(false);
    expect(known.disallows('not a url', T0)).toBe(false);
    known.learn(robots({ url: 'https://a.test:8443/robots.txt' }));
    expect(known.disallows('https://a.test:8443/private/1', T0)).toBe(true);

    known.learn(robots({ token: 'other' }));
    expect(known.disallows('https://a.test/public/1', T0)).toBe(true);
  });
});

describe('FrontierShard with reported robots.txt rules', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteShardStore;
  let shard: FrontierShard;
  beforeEach(() => {
    dir = tempDir('robots');
    store = openSqliteShardStore({ path: join(dir.path, 'frontier-0.sqlite'), partition: 0 });
    shard = new FrontierShard(store, { baseMs: 1_000, maxMs: 60_000 });
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  const apply = (job: Job, decisions: Parameters<FrontierShard['apply']>[1]) => {
    const stats = emptyStats();
    shard.apply(job, decisions, (id) => store.jobTotal(id), T0, stats);
    return stats;
  };
  const lease = (job: Job) =>
    shard.lease(
      { now: T0, limit: 100, perHost: 100, leaseMs: 10_000, jobs: [job.id] },
      () => job.settings.politeness.respectRobots,
    );

  it('drops a disallowed URL when it is scheduled, so it is never sent, and remembers it', () => {
    const job = makeJob();
    const stats = apply(job, [
      robots(),
      schedule('https://a.test/private/1'),
      schedule('https://a.test/public/1'),
      schedule('https://b.test/private/1'),
    ]);
    expect(stats).toMatchObject({ added: 2, robots: 1 });
    expect(store.counts()).toMatchObject({ queued: 2, dropped: 1 });
    expect(store.get(schedule('https://a.test/private/1').fp)).toMatchObject({
      state: 'dropped',
      errorClass: 'robots.txt',
    });
    expect(apply(job, [schedule('https://a.test/private/1')])).toMatchObject({ duplicate: 1 });
    expect(
      lease(job)
        .send.map((entry) => entry.url)
        .sort(),
    ).toEqual(['https://a.test/public/1', 'https://b.test/private/1']);
  });

  it('drops URLs queued before the report when they are leased, instead of sending them', () => {
    const job = makeJob();
    apply(job, [schedule('https://a.test/private/1'), schedule('https://a.test/public/1')]);
    apply(job, [robots()]);
    const leased = lease(job);
    expect(leased.send.map((entry) => entry.url)).toEqual(['https://a.test/public/1']);
    expect(leased.dropped).toBe(1);
    expect(store.counts()).toMatchObject({ queued: 0, inflight: 1, dropped: 1 });
  });

  it('leaves every URL to the crawler for a job that ignores robots.txt', () => {
    const job = makeJob({ settings: { scope: { mode: 'any' }, politeness: { respectRobots: false } } });
    apply(job, [robots(), schedule('https://a.test/private/1')]);
    apply(job, [schedule('https://a.test/private/2')]);
    expect(lease(job).send).toHaveLength(2);
  });
});
