import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteShardStore } from '../src/index.ts';
import { COUNTER_COLUMNS, publicState, STATE } from '../src/schema.ts';
import { URL_STATES, type UrlState } from '../src/types.ts';
import { fpOf, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

const JOBS = ['job-a', 'job-b', 'job-c'];
const POOL = 400;
const HOSTS = 7;

/** Deterministic pseudo-random numbers, so a failure replays. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** URL `n` always belongs to the same job and host, as a fingerprint does. */
const identityOf = (n: number) => {
  const url = newUrl(n, { job: JOBS[n % JOBS.length]!, hostKey: `h${n % HOSTS}.example` });
  return { ...url, score: (n % 10) / 10 };
};

interface ModelEntry {
  job: string;
  hostKey: string;
  state: UrlState;
  notBefore: number;
  nextFetchAt?: number;
}

/** What the ground truth says, counted straight from the urls table by a second connection. */
function groundTruth(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db
      .prepare(
        `SELECT j.job, h.host_key, u.state, count(*) AS n FROM urls u
         JOIN hosts h ON h.host_id = u.host_id JOIN jobs j ON j.job_id = u.job_id
         GROUP BY j.job, h.host_key, u.state`,
      )
      .all() as { job: string; host_key: string; state: number; n: number }[];
    const perJob = new Map<string, Record<UrlState, number>>();
    const perHost = new Map<string, number>();
    for (const row of rows) {
      const counts = perJob.get(row.job) ?? zeroCounts();
      counts[publicState(row.state)] += row.n;
      perJob.set(row.job, counts);
      // Page budgets leave dropped URLs out: they cost no fetch.
      if (publicState(row.state) === 'dropped') continue;
      const key = `${row.job} ${row.host_key}`;
      perHost.set(key, (perHost.get(key) ?? 0) + row.n);
    }
    return { perJob, perHost };
  } finally {
    db.close();
  }
}

/**
 * The counter rows (hosts, jobs, reason_counts) as a second connection reads them, next to the
 * same counts made from the urls table: the store writes a transaction's moves in one go at
 * its end, so the rows must agree once it has committed.
 */
function counterRows(path: string) {
  const db = new DatabaseSync(path, { readOnly: true });
  const read = (sql: string) =>
    db
      .prepare(sql)
      .all()
      .map((row) => ({ ...row }));
  const states = 'ready, waiting, inflight, done, failed, dropped';
  const perState = (group: string) =>
    COUNTER_COLUMNS.map((_, i) => `sum(u.state = ${i + 1}) AS ${COUNTER_COLUMNS[i]}`).join(', ') +
    ` FROM urls u ${group}`;
  try {
    return {
      hosts: read(`SELECT host_id, ${states} FROM hosts ORDER BY host_id`),
      hostsFromUrls: read(
        `SELECT h.host_id, ${perState('RIGHT JOIN hosts h ON h.host_id = u.host_id GROUP BY h.host_id ORDER BY h.host_id')}`,
      ).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? 0]))),
      jobs: read(`SELECT job_id, ${states} FROM jobs ORDER BY job_id`),
      jobsFromUrls: read(
        `SELECT j.job_id, ${perState('RIGHT JOIN jobs j ON j.job_id = u.job_id GROUP BY j.job_id ORDER BY j.job_id')}`,
      ).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? 0]))),
      reasons: read(
        'SELECT job_id, state, reason, count FROM reason_counts WHERE count <> 0 ORDER BY job_id, state, reason',
      ),
      reasonsFromUrls: read(`SELECT job_id, state, reason, count(*) AS count FROM urls
        WHERE state IN (${STATE.failed}, ${STATE.dropped}) GROUP BY job_id, state, reason ORDER BY job_id, state, reason`),
    };
  } finally {
    db.close();
  }
}

function zeroCounts(): Record<UrlState, number> {
  return Object.fromEntries(URL_STATES.map((state) => [state, 0])) as Record<UrlState, number>;
}

function expectInStep(store: SqliteShardStore, model: Map<string, ModelEntry>): void {
  const truth = groundTruth(store.path);
  const all = zeroCounts();
  for (const job of JOBS) {
    const expected = truth.perJob.get(job) ?? zeroCounts();
    expect(store.counts(job)).toEqual(expected);
    expect(store.jobTotal(job)).toBe(Object.values(expected).reduce((a, b) => a + b, 0) - expected.dropped);
    for (const state of URL_STATES) all[state] += expected[state];
    for (let h = 0; h < HOSTS; h++) {
      const hostKey = `h${h}.example`;
      expect(store.hostTotal(job, hostKey)).toBe(truth.perHost.get(`${job} ${hostKey}`) ?? 0);
    }
  }
  expect(store.counts()).toEqual(all);
  const rows = counterRows(store.path);
  expect(rows.hosts).toEqual(rows.hostsFromUrls);
  expect(rows.jobs).toEqual(rows.jobsFromUrls);
  expect(rows.reasons).toEqual(rows.reasonsFromUrls);
  const modelCounts = zeroCounts();
  for (const [fp, entry] of model) {
    modelCounts[entry.state]++;
    expect(store.get(fp)?.state).toBe(entry.state);
  }
  expect(modelCounts).toEqual(all);
}

describe('counters', () => {
  it('stay in step with the urls table through random operations, rollbacks included', () => {
    const store = stores.open();
    const random = lcg(7);
    const model = new Map<string, ModelEntry>();
    const pick = () => Math.floor(random() * POOL);
    let now = 1_000;

    const step = (): void => {
      const n = pick();
      const fp = fpOf(n);
      const known = model.get(fp);
      const identity = identityOf(n);
      const roll = random();
      if (roll < 0.3) {
        const notBefore = random() < 0.3 ? now + Math.floor(random() * 5_000) : 0;
        const added = store.add({ ...identity, notBefore });
        expect(added).toBe(known === undefined);
        if (added)
          model.set(fp, { job: identity.job, hostKey: identity.hostKey, state: 'queued', notBefore });
      } else if (roll < 0.5) {
        const jobs = JOBS.filter(() => random() < 0.7);
        const limit = 1 + Math.floor(random() * 30);
        const perHost = 1 + Math.floor(random() * 4);
        for (const entry of model.values()) {
          if (jobs.includes(entry.job) && entry.state === 'done' && entry.nextFetchAt !== undefined) {
            if (entry.nextFetchAt <= now) {
              entry.state = 'queued';
              entry.notBefore = entry.nextFetchAt;
              entry.nextFetchAt = undefined;
            }
          }
        }
        const due = new Map<string, number>();
        for (const entry of model.values()) {
          if (jobs.includes(entry.job) && entry.state === 'queued' && entry.notBefore <= now) {
            const host = `${entry.job} ${entry.hostKey}`;
            due.set(host, (due.get(host) ?? 0) + 1);
          }
        }
        const expected = Math.min(
          limit,
          [...due.values()].reduce((sum, d) => sum + Math.min(d, perHost), 0),
        );
        const leased = store.leaseDue({ now, limit, perHost, leaseMs: 2_000, jobs });
        expect(leased).toHaveLength(expected);
        for (const entry of leased) {
          const before = model.get(entry.fp)!;
          expect(before.state).toBe('queued');
          before.state = 'inflight';
        }
      } else if (roll < 0.65) {
        const nextFetchAt = random() < 0.4 ? now + Math.floor(random() * 8_000) : undefined;
        const useIdentity = random() < 0.5;
        const recorded = store.markDone(
          fp,
          { status: 200, fetchedAt: now, nextFetchAt },
          useIdentity ? identity : undefined,
        );
        const expected = known === undefined ? useIdentity : known.state !== 'done';
        expect(recorded).toBe(expected);
        if (recorded) {
          model.set(fp, {
            job: identity.job,
            hostKey: identity.hostKey,
            state: 'done',
            notBefore: known?.notBefore ?? 0,
            nextFetchAt,
          });
        }
      } else if (roll < 0.75) {
        const notBefore = random() < 0.5 ? 0 : now + Math.floor(random() * 3_000);
        store.requeue(fp, notBefore);
        if (known !== undefined) Object.assign(known, { state: 'queued', notBefore });
      } else if (roll < 0.83) {
        store.markFailed(fp, 'timeout');
        if (known !== undefined) known.state = 'failed';
      } else if (roll < 0.9) {
        const useIdentity = random() < 0.5;
        const dropped = store.markDropped(fp, 'scope', useIdentity ? identity : undefined);
        expect(dropped).toBe(known === undefined ? useIdentity : known.state !== 'dropped');
        if (known !== undefined) known.state = 'dropped';
        else if (dropped)
          model.set(fp, { job: identity.job, hostKey: identity.hostKey, state: 'dropped', notBefore: 0 });
      } else if (roll < 0.95) {
        // A batch that fails halfway leaves nothing behind.
        expect(() =>
          store.transaction(() => {
            for (let i = 0; i < 5; i++) {
              const m = pick();
              store.add(identityOf(m));
              store.markDone(fpOf(m), { status: 200, fetchedAt: now }, identityOf(m));
              store.leaseDue({ now, limit: 5, perHost: 2, leaseMs: 1_000, jobs: JOBS });
            }
            throw new Error('batch rejected');
          }),
        ).toThrow('batch rejected');
      } else {
        now += Math.floor(random() * 3_000);
      }
    };

    for (let round = 0; round < 40; round++) {
      store.transaction(() => {
        for (let i = 0; i < 50; i++) step();
      });
      expectInStep(store, model);
    }
    expect(model.size).toBeGreaterThan(POOL / 2);
  });
});

describe('counter rows', () => {
  it('leave out the moves of a nested call that throws, and keep those around it', () => {
    const store = stores.open();
    store.transaction(() => {
      store.add(identityOf(1));
      expect(() =>
        store.transaction(() => {
          store.add(identityOf(22));
          // A new host (h2 of job-a) and reasons, all undone with the call.
          store.markDropped(fpOf(9), 'scope', identityOf(9));
          store.markFailed(fpOf(1), 'timeout');
          throw new Error('inner');
        }),
      ).toThrow('inner');
      // The same host again, created anew: the undone one's id is not reused.
      store.add(identityOf(30));
      store.add(identityOf(22));
    });
    const rows = counterRows(store.path);
    expect(rows.hosts).toEqual(rows.hostsFromUrls);
    expect(rows.jobs).toEqual(rows.jobsFromUrls);
    expect(rows.reasons).toEqual([]);
    expect(store.hostTotal('job-b', 'h1.example')).toBe(2);
    expect(store.hostTotal('job-a', 'h2.example')).toBe(1);
    expect(store.reasonCounts()).toEqual({ failed: {}, dropped: {} });
  });
});

describe('counts', () => {
  it('are read again after every write, inside a transaction and after it, though kept between writes', () => {
    const store = stores.open();
    const first = identityOf(1);
    expect(store.counts().queued).toBe(0);
    store.add(first);
    expect(store.counts()).toEqual({ ...zeroCounts(), queued: 1 });
    expect(store.counts(first.job)).toEqual({ ...zeroCounts(), queued: 1 });
    store.transaction(() => {
      store.leaseDue({ now: 1, limit: 1, perHost: 1, leaseMs: 1_000, jobs: JOBS });
      expect(store.counts().inflight).toBe(1);
      store.markDone(fpOf(1), { status: 200, fetchedAt: 1 });
      expect(store.counts()).toEqual({ ...zeroCounts(), done: 1 });
    });
    expect(store.counts()).toEqual({ ...zeroCounts(), done: 1 });
    // A copy each time: a caller that changes what it got changes nothing kept.
    store.counts().done = 99;
    expect(store.counts(first.job).done).toBe(1);
    expect(store.counts().done).toBe(1);
    expect(() =>
      store.transaction(() => {
        store.add(identityOf(2));
        expect(store.counts().queued).toBe(1);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(store.counts()).toEqual({ ...zeroCounts(), done: 1 });
  });
});
