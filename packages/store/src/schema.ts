import type { DatabaseSync } from 'node:sqlite';
import { reasonOfText } from '@kraul/protocol';
import { STORE_ERROR_CODES, StoreError } from './errors.ts';
import type { UrlState } from './types.ts';

/**
 * How a URL's state is stored. Queued URLs live in two lanes: `ready` (due, ordered per host
 * by score then age in a partial index) and `waiting` (not before a future time, ordered by
 * that time). Leasing promotes waiting URLs whose time has come, so the per-host lane never
 * has to skip URLs that are not due yet.
 */
export const STATE = {
  ready: 1,
  waiting: 2,
  inflight: 3,
  done: 4,
  failed: 5,
  dropped: 6,
} as const;
export type StateCode = (typeof STATE)[keyof typeof STATE];

/** The per-state counter columns of `hosts` and `jobs`, indexed by `StateCode - 1`. */
export const COUNTER_COLUMNS = ['ready', 'waiting', 'inflight', 'done', 'failed', 'dropped'] as const;

export function publicState(code: number): UrlState {
  switch (code) {
    case STATE.ready:
    case STATE.waiting:
      return 'queued';
    case STATE.inflight:
      return 'inflight';
    case STATE.done:
      return 'done';
    case STATE.failed:
      return 'failed';
    default:
      return 'dropped';
  }
}

const counterColumns = COUNTER_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ');

/**
 * The URL columns after the fingerprint as version 1 made them, and its indexes on them.
 * Version 5 rebuilds the table with the same columns and indexes, so both use these. Released
 * SQL: never edit them (a change is a new version).
 */
const URL_STATE_COLUMNS = `host_id INTEGER NOT NULL REFERENCES hosts (host_id),
  job_id INTEGER NOT NULL,
  state INTEGER NOT NULL,
  score REAL NOT NULL,
  depth INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  url TEXT NOT NULL,
  lease TEXT,
  lease_expires_at INTEGER,
  last_fetch_at INTEGER,
  next_fetch_at INTEGER,
  status INTEGER,
  etag TEXT,
  last_modified TEXT,
  error_class TEXT,
  meta TEXT`;
const URL_INDEXES = `CREATE INDEX urls_ready_lane ON urls (host_id, score DESC) WHERE state = ${STATE.ready};
CREATE INDEX urls_waiting ON urls (job_id, not_before) WHERE state = ${STATE.waiting};
CREATE INDEX urls_revisits ON urls (job_id, next_fetch_at)
  WHERE state = ${STATE.done} AND next_fetch_at IS NOT NULL;
CREATE INDEX urls_leases ON urls (lease_expires_at) WHERE state = ${STATE.inflight};`;

/**
 * Version 1. URLs are a rowid table: rows arrive in insertion order (the rowid is the age used
 * to order a host queue) and only the small fingerprint index takes random inserts. A
 * WITHOUT ROWID table keyed by fingerprint measured 7% smaller but inserted 40% slower at a
 * million URLs, since every wide row then lands at a random place in the table's b-tree.
 * Job and host names are stored once, in `jobs` and `hosts`; a URL row refers to them by id.
 * The counters in `hosts` and `jobs` are kept in step by the store's own statements, so
 * budgets and counts are single-row reads.
 */
const V1 = `
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE jobs (
  job_id INTEGER PRIMARY KEY,
  job TEXT NOT NULL UNIQUE,
  ${counterColumns}
);
CREATE TABLE hosts (
  host_id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (job_id),
  host_key TEXT NOT NULL,
  ${counterColumns},
  lease_turn INTEGER NOT NULL,
  UNIQUE (job_id, host_key)
);
-- lease_turn: when the host was last served (or created), as a store-wide sequence number.
CREATE INDEX hosts_ready_by_turn ON hosts (job_id, lease_turn) WHERE ready > 0;
CREATE TABLE urls (
  id INTEGER PRIMARY KEY,
  fp TEXT NOT NULL UNIQUE,
  ${URL_STATE_COLUMNS}
);
${URL_INDEXES}
`;

/**
 * Version 2: why a URL ended failed or dropped. `reason` is one of the protocol's reason codes
 * and `message` the detail in words; `reason_counts` keeps the number of URLs per job, end state
 * and reason in step with them (updated in the transaction that moves the URL), so a summary
 * is a read of a few rows. Rows of version 1 get their reason from the text they kept in
 * `error_class`.
 */
const V2 = `
ALTER TABLE urls ADD COLUMN reason TEXT;
ALTER TABLE urls ADD COLUMN message TEXT;
CREATE TABLE reason_counts (
  job_id INTEGER NOT NULL,
  state INTEGER NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, state, reason)
) WITHOUT ROWID;
`;

function backfillReasons(db: DatabaseSync): void {
  db.function('kraul_reason_of_text', { deterministic: true }, (text) =>
    reasonOfText(typeof text === 'string' ? text : undefined),
  );
  db.exec(`UPDATE urls SET reason = kraul_reason_of_text(error_class), message = error_class
    WHERE state IN (${STATE.failed}, ${STATE.dropped})`);
  db.exec(`INSERT INTO reason_counts (job_id, state, reason, count)
    SELECT job_id, state, reason, count(*) FROM urls WHERE state IN (${STATE.failed}, ${STATE.dropped})
    GROUP BY job_id, state, reason`);
}

interface Migration {
  version: number;
  sql: string;
  /** Checks before the schema change, in the same transaction: a throw leaves the file as it was. */
  before?: (db: DatabaseSync) => void;
  /** Data changes after the schema change, in the same transaction. */
  after?: (db: DatabaseSync) => void;
  /** The migration rewrites a table: the file is vacuumed once the migrations are done, if it holds URLs. */
  vacuum?: boolean;
}

/**
 * Version 3: new rows store their URL without the scheme and host key their host row holds
 * (`stored-url.ts`). No row changes: rows of earlier versions hold whole URLs, which read as
 * they are. The version is there so that an older kraul refuses the file instead of reading
 * `^/path` as a URL.
 */
const V3 = '';

/**
 * Version 4: the todo partition of each host key (`host-partitions.ts`), chosen by the
 * frontier before the host's first request. Hosts of earlier versions were always sent to the
 * shard's own partition, where requests of theirs may still wait: they are recorded there.
 */
const V4 = `
CREATE TABLE host_partitions (
  host_key TEXT PRIMARY KEY,
  todo_partition INTEGER NOT NULL
) WITHOUT ROWID;
`;

function placeEarlierHosts(db: DatabaseSync): void {
  db.exec(`INSERT INTO host_partitions (host_key, todo_partition)
    SELECT DISTINCT hosts.host_key, store_meta.value FROM hosts
    JOIN store_meta ON store_meta.key = 'partition'`);
}

/**
 * Version 5: a fingerprint is stored as its 8 bytes, not as 16 hex characters, in the URL row
 * and again in its unique index: 16 bytes less per known URL. Statements convert at the edge
 * (`unhex(?)` in, `lower(hex(fp))` out), so the store's interface keeps the protocol's hex form.
 * The table is rebuilt rather than updated in place: the rows are copied in rowid order with
 * their fingerprints converted, and the unique index is then built by one sort instead of a
 * random insert per row. The indexes of version 1 are made again as they were. The copy leaves
 * the old table's pages free, so `migrate` vacuums the file afterwards.
 */
const URL_COLUMNS_V5 = `id, fp, host_id, job_id, state, score, depth, attempts, not_before, url, lease,
  lease_expires_at, last_fetch_at, next_fetch_at, status, etag, last_modified, error_class, meta, reason, message`;
const V5 = `
CREATE TABLE urls_v5 (
  id INTEGER PRIMARY KEY,
  fp BLOB NOT NULL CHECK (length(fp) = 8),
  ${URL_STATE_COLUMNS},
  reason TEXT,
  message TEXT
);
INSERT INTO urls_v5 (${URL_COLUMNS_V5})
  SELECT ${URL_COLUMNS_V5.replace('fp,', "CASE WHEN typeof(fp) = 'text' THEN unhex(fp) ELSE fp END,")}
  FROM urls ORDER BY id;
DROP TABLE urls;
ALTER TABLE urls_v5 RENAME TO urls;
CREATE UNIQUE INDEX urls_fp ON urls (fp);
${URL_INDEXES}
`;

/** Refuses, before the copy, a file with a fingerprint that is not 16 hex characters: its row would be lost. */
function checkFingerprints(db: DatabaseSync): void {
  const bad = db
    .prepare(`SELECT count(*) AS count, min(fp) AS example FROM urls
      WHERE typeof(fp) = 'text' AND (length(fp) != 16 OR unhex(fp) IS NULL)`)
    .get() as { count: number; example: string | null };
  if (bad.count > 0) {
    throw new StoreError(
      STORE_ERROR_CODES.invalidRows,
      `${bad.count} URL rows hold a fingerprint that is not 16 hex characters (e.g. ${JSON.stringify(bad.example)}); the file cannot move to schema version 5`,
      { rows: bad.count, example: bad.example },
    );
  }
}

/** Applied in order; a released migration is never edited, a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: V2, after: backfillReasons },
  { version: 3, sql: V3 },
  { version: 4, sql: V4, after: placeEarlierHosts },
  { version: 5, before: checkFingerprints, sql: V5, vacuum: true },
];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to `SCHEMA_VERSION`, each migration in its own transaction, and returns
 * the version it found. Refuses a file written by a newer schema rather than misread it.
 */
export function migrate(db: DatabaseSync, now: number = Date.now()): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const found = db.prepare('SELECT max(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  const current = found.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      STORE_ERROR_CODES.schemaTooNew,
      `store schema version ${current} is newer than this kraul understands (${SCHEMA_VERSION})`,
      { found: current, supported: SCHEMA_VERSION },
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
  let vacuum = false;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      migration.before?.(db);
      db.exec(migration.sql);
      migration.after?.(db);
      record.run(migration.version, now);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    vacuum ||= migration.vacuum === true;
  }
  // A new file has nothing to give back; a file whose table was rewritten holds the old copy's pages.
  if (vacuum && db.prepare('SELECT EXISTS (SELECT 1 FROM urls) AS found').get()?.['found'] === 1)
    db.exec('VACUUM');
  return current;
}
