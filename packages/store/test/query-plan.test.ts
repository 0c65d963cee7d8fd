import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareStatements, readyLaneSql, type Statements } from '../src/statements.ts';
import { fpOf, newUrl, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

type QueryName = keyof Statements | 'readyLane';

/** Status and export reads over the few rows of `jobs`, every host, or every ended URL: never on the lease or decision path. */
const STATUS_QUERIES = new Set<QueryName>([
  'jobs',
  'jobCounters',
  'topHosts',
  'allReasonCounts',
  'endedUrls',
  'jobEndedUrls',
  // Once when a shard opens, over the in-flight rows alone (the partial urls_leases index).
  'inflightOfLease',
]);

/** The index each hot query must search through. */
const EXPECTED_INDEX: Partial<Record<QueryName, string>> = {
  urlState: 'urls_fp',
  urlByFp: 'urls_fp',
  hostId: 'sqlite_autoindex_hosts_1',
  hostTotal: 'sqlite_autoindex_hosts_1',
  readyHosts: 'hosts_ready_by_turn',
  hostWithRoom: 'hosts_ready_by_turn',
  readyLane: 'urls_ready_lane',
  promoteWaiting: 'urls_waiting',
  promoteRevisits: 'urls_revisits',
  nextWaiting: 'urls_waiting',
  nextRevisit: 'urls_revisits',
  expiredLeases: 'urls_leases',
};

function plans(path: string, analyze: boolean): Map<QueryName, string> {
  const db = new DatabaseSync(path);
  try {
    if (analyze) db.exec('ANALYZE');
    const queries = new Map<QueryName, string>([['readyLane', readyLaneSql(5)]]);
    for (const [name, statement] of Object.entries(prepareStatements(db))) {
      queries.set(name as keyof Statements, statement.sourceSQL);
    }
    const out = new Map<QueryName, string>();
    for (const [name, sql] of queries) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[];
      out.set(name, rows.map((row) => row.detail).join(' | '));
    }
    return out;
  } finally {
    db.close();
  }
}

describe('query plans', () => {
  for (const analyze of [false, true]) {
    it(`search an index on every hot path, never scan urls or hosts${analyze ? ' (with statistics)' : ''}`, () => {
      const store = stores.open();
      store.transaction(() => {
        for (let n = 0; n < 5000; n++) {
          const notBefore = n % 5 === 0 ? 10_000 + n : 0;
          store.add(
            newUrl(n, {
              job: n % 3 ? 'job-a' : 'job-b',
              hostKey: `h${n % 40}`,
              score: (n % 7) / 7,
              notBefore,
            }),
          );
        }
      });
      const lease = { now: 1_000, limit: 1000, perHost: 50, leaseMs: 1_000, jobs: ['job-a'] };
      store.leaseDue(lease);
      for (const entry of store.leaseDue(lease)) {
        store.markDone(entry.fp, { status: 200, fetchedAt: 1_100, nextFetchAt: 100_000 });
      }
      store.markFailed(fpOf(3), 'timeout');
      store.close();

      const found = plans(store.path, analyze);
      expect(found.size).toBeGreaterThan(20);
      for (const [name, plan] of found) {
        if (STATUS_QUERIES.has(name)) continue;
        expect(plan, name).not.toMatch(/\bSCAN (urls|u|hosts|h)\b/);
        expect(plan, name).not.toContain('TEMP B-TREE');
        const index = EXPECTED_INDEX[name];
        if (index !== undefined)
          expect(plan, name).toMatch(new RegExp(`SEARCH \\w+ USING (COVERING )?INDEX ${index}\\b`));
      }
    });
  }
});
