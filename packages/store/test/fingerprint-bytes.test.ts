import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COUNTER_COLUMNS, MIGRATIONS, STATE } from '../src/schema.ts';
import { fpOf, leaseAll, newUrl, readFile, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

/**
 * A shard file as schema version 4 wrote it, fingerprints as hex text: two queued URLs, one
 * done and one dropped by robots.txt, on one host of job-a, and the `extra` rows.
 */
function fileOfVersion4(
  path: string,
  extra: (insert: (fp: string, state: number) => void) => void = () => {},
) {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) {
    db.exec(migration.sql);
    migration.after?.(db);
    db.prepare('INSERT INTO schema_version VALUES (?, 0)').run(migration.version);
  }
  db.exec(`INSERT INTO store_meta VALUES ('partition', 0)`);
  db.exec(`INSERT INTO jobs (job) VALUES ('job-a')`);
  db.exec(`INSERT INTO hosts (job_id, host_key, lease_turn) VALUES (1, 'example.com', 1)`);
  db.exec(`INSERT INTO host_partitions VALUES ('example.com', 0)`);
  db.exec(`INSERT INTO reason_counts VALUES (1, ${STATE.dropped}, 'robots', 1)`);
  const insert =
    db.prepare(`INSERT INTO urls (fp, host_id, job_id, state, score, depth, url, status, reason, message)
    VALUES (?, 1, 1, ?, 0.5, 1, ?, ?, ?, ?)`);
  const row = (fp: string, state: number) =>
    insert.run(
      fp,
      state,
      `^/page/${fp}`,
      state === STATE.done ? 200 : null,
      state === STATE.dropped ? 'robots' : null,
      state === STATE.dropped ? 'robots.txt' : null,
    );
  row(fpOf(1), STATE.ready);
  row(fpOf(2), STATE.ready);
  row(fpOf(3), STATE.done);
  row(fpOf(4), STATE.dropped);
  extra(row);
  // The counters as the store keeps them, in step with the rows.
  const counters = COUNTER_COLUMNS.map(
    (column, index) => `${column} = (SELECT count(*) FROM urls WHERE state = ${index + 1})`,
  );
  db.exec(`UPDATE jobs SET ${counters.join(', ')}`);
  db.exec(`UPDATE hosts SET ${counters.join(', ')}`);
  db.close();
}

describe('fingerprints stored as 8 bytes (schema version 5)', () => {
  it('stores each fingerprint as 8 bytes in the row and its unique index, and reads it back as hex', () => {
    const store = stores.open();
    expect(store.add(newUrl(0xabcdef))).toBe(true);
    expect(readFile(store.path, 'SELECT typeof(fp) AS type, hex(fp) AS bytes FROM urls')).toEqual([
      { type: 'blob', bytes: '0000000000ABCDEF' },
    ]);
    expect(store.get(fpOf(0xabcdef))).toMatchObject({ fp: '0000000000abcdef', state: 'queued' });
    expect(store.stateOf(fpOf(0xabcdef))).toBe('queued');
    // Known by its fingerprint, whatever URL comes with it.
    expect(store.add(newUrl(0xabcdef, { url: 'https://example.com/other' }))).toBe(false);
    expect(store.leaseDue(leaseAll).map((entry) => entry.fp)).toEqual(['0000000000abcdef']);
    expect(
      readFile(
        store.path,
        `SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'urls' ORDER BY name`,
      ),
    ).toEqual([
      { name: 'urls_fp' },
      { name: 'urls_leases' },
      { name: 'urls_ready_lane' },
      { name: 'urls_revisits' },
      { name: 'urls_waiting' },
    ]);
  });

  it('matches no row by a fingerprint that is not hex, and writes none with one', () => {
    const store = stores.open();
    store.add(newUrl(1));
    expect(store.get('not-hex-at-all!!')).toBeUndefined();
    expect(store.stateOf('zz')).toBeUndefined();
    expect(() => store.add(newUrl(2, { fp: 'not-hex-at-all!!' }))).toThrow(/NOT NULL|CHECK/);
    expect(() => store.add(newUrl(3, { fp: 'abcd' }))).toThrow(/CHECK/);
    expect(store.counts()).toEqual({ queued: 1, inflight: 0, done: 0, failed: 0, dropped: 0 });
  });

  it('moves a file of version 4 over: every URL keeps its state, and the file is vacuumed', () => {
    const path = stores.path();
    fileOfVersion4(path, (row) => {
      // Enough rows for the old table's pages to matter.
      for (let n = 100; n < 2_100; n++) row(fpOf(n), STATE.done);
    });
    const before = readFile<{ page_count: number }>(path, 'PRAGMA page_count')[0]!.page_count;

    const store = stores.open({ path });
    expect(store.get(fpOf(1))).toMatchObject({
      url: 'https://example.com/page/0000000000000001',
      state: 'queued',
    });
    expect(store.get(fpOf(3))).toMatchObject({ state: 'done', status: 200 });
    expect(store.endDetail(fpOf(4))).toEqual({ reason: 'robots', message: 'robots.txt', depth: 1 });
    expect(store.counts('job-a')).toEqual({ queued: 2, inflight: 0, done: 2_001, failed: 0, dropped: 1 });
    // Still known after the move, in every state.
    for (const n of [1, 3, 4, 2_000]) expect(store.add(newUrl(n, { hostKey: 'example.com' }))).toBe(false);
    expect(
      store
        .leaseDue(leaseAll)
        .map((entry) => entry.fp)
        .sort(),
    ).toEqual([fpOf(1), fpOf(2)]);
    expect(store.add(newUrl(5, { hostKey: 'example.com' }))).toBe(true);
    store.close();

    expect(readFile(path, `SELECT DISTINCT typeof(fp) AS type, length(fp) AS bytes FROM urls`)).toEqual([
      { type: 'blob', bytes: 8 },
    ]);
    expect(readFile(path, 'SELECT max(version) AS version FROM schema_version')).toEqual([{ version: 5 }]);
    expect(readFile(path, 'PRAGMA freelist_count')).toEqual([{ freelist_count: 0 }]);
    const after = readFile<{ page_count: number }>(path, 'PRAGMA page_count')[0]!.page_count;
    expect(after).toBeLessThan(before);
  });

  it('refuses a file of version 4 with a fingerprint that is not hex, and leaves it as it was', () => {
    const path = stores.path();
    fileOfVersion4(path, (row) => row('zz-not-a-print!', STATE.ready));
    expect(() => stores.open({ path })).toThrow(
      expect.objectContaining({
        code: 'store.invalid_rows',
        context: { rows: 1, example: 'zz-not-a-print!' },
      }),
    );
    expect(readFile(path, 'SELECT max(version) AS version FROM schema_version')).toEqual([{ version: 4 }]);
    expect(readFile(path, 'SELECT count(*) AS rows FROM urls')).toEqual([{ rows: 5 }]);
  });
});
