import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { COUNTER_COLUMNS, STATE } from './schema.ts';

// Fingerprints are stored as 8 bytes (schema version 5) and cross this edge as the protocol's
// 16 hex characters: `unhex(?)` in, `lower(hex(fp))` out. An argument that is not hex matches
// no row, and a row cannot be written with one (unhex gives NULL, which the column refuses).
//
// State codes are written into the SQL as literals, never bound as parameters: SQLite only
// uses a partial index when the query's WHERE clause literally implies the index's.

const URL_COLUMNS = `u.id, lower(hex(u.fp)) AS fp, u.host_id, u.job_id, u.state, u.score, u.depth, u.attempts, u.not_before,
  u.url, u.lease, u.lease_expires_at, u.last_fetch_at, u.next_fetch_at, u.status, u.etag,
  u.last_modified, u.error_class, u.meta, h.host_key`;

// A page budget counts the URLs the crawl fetched or will fetch: dropped ones (robots.txt,
// out of scope) are known, so never added again, but cost no page.
const TOTAL = COUNTER_COLUMNS.filter((column) => column !== 'dropped').join(' + ');

/** Every statement a store runs, prepared once when it opens. */
export function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    urlState: p('SELECT id, state, host_id, job_id FROM urls WHERE fp = unhex(?)'),
    urlByFp: p(
      `SELECT ${URL_COLUMNS} FROM urls u JOIN hosts h ON h.host_id = u.host_id WHERE u.fp = unhex(?)`,
    ),
    insertUrl: p(`INSERT INTO urls (fp, host_id, job_id, state, score, depth, not_before, url, meta,
        last_fetch_at, next_fetch_at, status, etag, last_modified, error_class)
      VALUES (unhex(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    setDone:
      p(`UPDATE urls SET state = ${STATE.done}, lease = NULL, lease_expires_at = NULL, error_class = NULL,
        last_fetch_at = ?, next_fetch_at = ?, status = ?, etag = ?, last_modified = ? WHERE id = ?`),
    setQueued: p(
      'UPDATE urls SET state = ?, not_before = ?, lease = NULL, lease_expires_at = NULL WHERE id = ?',
    ),
    setLeased: p(
      `UPDATE urls SET state = ${STATE.inflight}, lease = ?, lease_expires_at = ?, attempts = attempts + 1 WHERE id = ?`,
    ),

    jobs: p(`SELECT job_id, job FROM jobs`),
    insertJob: p('INSERT INTO jobs (job) VALUES (?)'),
    jobCounters: p(`SELECT job_id, ${COUNTER_COLUMNS.join(', ')} FROM jobs`),
    addJobCounts: p(
      `UPDATE jobs SET ${COUNTER_COLUMNS.map((c) => `${c} = ${c} + ?`).join(', ')} WHERE job_id = ?`,
    ),

    hostId: p('SELECT host_id FROM hosts WHERE job_id = ? AND host_key = ?'),
    /** A new host joins the round-robin last: its turn is the next one handed out. */
    insertHost: p('INSERT INTO hosts (job_id, host_key, lease_turn) VALUES (?, ?, ?)'),
    hostTotal: p(`SELECT ${TOTAL} AS total FROM hosts WHERE job_id = ? AND host_key = ?`),
    /** Counters move together with the host's place in the round-robin (`lease_turn`, 0 = unchanged). */
    addHostCounts: p(
      `UPDATE hosts SET ${COUNTER_COLUMNS.map((c) => `${c} = ${c} + ?`).join(', ')},
        lease_turn = max(lease_turn, ?) WHERE host_id = ?`,
    ),
    /** A page of one job's hosts with due URLs, the longest unserved first (round-robin). */
    readyHosts:
      p(`SELECT host_id, job_id, lease_turn, ready, waiting, inflight, done, failed, dropped FROM hosts
      WHERE job_id = ? AND ready > 0 AND lease_turn > ? AND inflight < ? ORDER BY lease_turn LIMIT ?`),
    /** Whether a job has a host with due URLs and fewer than the given number in flight. */
    hostWithRoom: p(`SELECT 1 AS found FROM hosts WHERE job_id = ? AND ready > 0 AND inflight < ? LIMIT 1`),
    topHosts: p(`SELECT host_key AS hostKey, sum(ready + waiting) AS queued, sum(inflight) AS inflight,
      sum(done) AS done FROM hosts GROUP BY host_key ORDER BY queued + inflight DESC, done DESC, host_key LIMIT ?`),

    promoteWaiting: p(`UPDATE urls SET state = ${STATE.ready} WHERE id IN (
        SELECT id FROM urls WHERE job_id = ? AND state = ${STATE.waiting} AND not_before <= ?
        ORDER BY not_before LIMIT ?)
      RETURNING host_id`),
    // A revisit is a new fetch: it starts its own attempt count, so a timeout of a page
    // recrawled many times is retried like any first fetch.
    promoteRevisits:
      p(`UPDATE urls SET state = ${STATE.ready}, not_before = next_fetch_at, next_fetch_at = NULL, attempts = 0
      WHERE id IN (
        SELECT id FROM urls WHERE job_id = ? AND state = ${STATE.done} AND next_fetch_at IS NOT NULL
          AND next_fetch_at <= ?
        ORDER BY next_fetch_at LIMIT ?)
      RETURNING host_id`),
    nextWaiting: p(`SELECT min(not_before) AS at FROM urls WHERE job_id = ? AND state = ${STATE.waiting}`),
    nextRevisit: p(`SELECT min(next_fetch_at) AS at FROM urls
      WHERE job_id = ? AND state = ${STATE.done} AND next_fetch_at IS NOT NULL`),
    expiredLeases: p(`SELECT ${URL_COLUMNS} FROM urls u JOIN hosts h ON h.host_id = u.host_id
      WHERE u.state = ${STATE.inflight} AND u.lease_expires_at <= ? ORDER BY u.lease_expires_at, u.id LIMIT ?`),

    // Why URLs ended (schema version 2): written only when a URL fails or is dropped, or
    // leaves those states, so the lease path is untouched.
    insertEndedUrl: p(`INSERT INTO urls (fp, host_id, job_id, state, score, depth, not_before, url, meta,
        error_class, reason, message) VALUES (unhex(?), ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`),
    setEndedWithReason: p(`UPDATE urls SET state = ?, error_class = ?, reason = ?, message = ?,
        status = coalesce(?, status), lease = NULL, lease_expires_at = NULL WHERE id = ?`),
    endDetail: p('SELECT state, reason, error_class, message, depth FROM urls WHERE id = ?'),
    reviveDropped: p(`UPDATE urls SET state = ?, score = ?, depth = ?, not_before = ?, error_class = NULL,
        reason = NULL, message = NULL WHERE id = ?`),
    addReasonCount: p(`INSERT INTO reason_counts (job_id, state, reason, count) VALUES (?, ?, ?, ?)
      ON CONFLICT (job_id, state, reason) DO UPDATE SET count = count + excluded.count`),
    jobReasonCounts: p('SELECT state, reason, count FROM reason_counts WHERE job_id = ? AND count > 0'),
    allReasonCounts: p(
      'SELECT state, reason, sum(count) AS count FROM reason_counts WHERE count > 0 GROUP BY state, reason',
    ),
    endedUrls: p(`SELECT u.id, u.job_id, u.url, h.host_key, u.state, u.reason, u.error_class, u.message,
        u.attempts, u.depth, u.status FROM urls u JOIN hosts h ON h.host_id = u.host_id
      WHERE u.state IN (${STATE.failed}, ${STATE.dropped}) AND u.id > ? ORDER BY u.id LIMIT ?`),
    jobEndedUrls: p(`SELECT u.id, u.job_id, u.url, h.host_key, u.state, u.reason, u.error_class, u.message,
        u.attempts, u.depth, u.status FROM urls u JOIN hosts h ON h.host_id = u.host_id
      WHERE u.job_id = ? AND u.state IN (${STATE.failed}, ${STATE.dropped}) AND u.id > ? ORDER BY u.id LIMIT ?`),

    // The lease of the last call whose send is not confirmed. store_meta's values are
    // integers; this one is text, kept so by its prefix ('00012345' alone would become 12345).
    unsentLease: p(`SELECT substr(value, 7) AS value FROM store_meta WHERE key = 'unsent_lease'`),
    setUnsentLease: p(`INSERT INTO store_meta (key, value) VALUES ('unsent_lease', 'lease ' || ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    clearUnsentLease: p(`DELETE FROM store_meta WHERE key = 'unsent_lease' AND value = 'lease ' || ?`),
    inflightOfLease: p(`SELECT lower(hex(fp)) AS fp FROM urls WHERE state = ${STATE.inflight} AND lease = ?`),
    meta: p('SELECT value FROM store_meta WHERE key = ?'),
    setMeta: p(
      'INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

/** One host's due URLs: best score first, then oldest (the rowid is insertion order). */
export function readyLaneSql(limit: number): string {
  return `SELECT ${URL_COLUMNS} FROM urls u JOIN hosts h ON h.host_id = u.host_id
    WHERE u.host_id = ? AND u.state = ${STATE.ready} ORDER BY u.score DESC, u.id LIMIT ${limit}`;
}

const MAX_LANE_STATEMENTS = 64;

/**
 * `readyLaneSql` prepared per limit. The limit is written into the SQL: bound as a parameter
 * it measured twice as slow per call (about 30 µs more for five rows), and a lease runs one
 * such query per host. Leases use few distinct limits (up to `perHost`), so few statements.
 */
export class ReadyLaneStatements {
  readonly #db: DatabaseSync;
  readonly #byLimit = new Map<number, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  forLimit(limit: number): StatementSync {
    let statement = this.#byLimit.get(limit);
    if (statement === undefined) {
      if (this.#byLimit.size >= MAX_LANE_STATEMENTS) this.#byLimit.clear();
      statement = this.#db.prepare(readyLaneSql(limit));
      this.#byLimit.set(limit, statement);
    }
    return statement;
  }
}
