import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { isOutcomeReason, type OutcomeReason, reasonOfText } from '@kraul/protocol';
import { openConnection } from './connection.ts';
import { CounterDeltas } from './counter-deltas.ts';
import { DueTimes } from './due-times.ts';
import { STORE_ERROR_CODES, StoreError } from './errors.ts';
import { SqliteHostPartitions } from './host-partitions.ts';
import { interleave } from './interleave.ts';
import { JobCounters } from './job-counters.ts';
import { newLeaseToken } from './lease-token.ts';
import { progressOf, type ReadyHostCounts, ReadyHostQueue } from './ready-hosts.ts';
import {
  type EndDetailRow,
  type EndedUrlRow,
  reasonOfRow,
  toEndedUrl,
  toEntry,
  type UrlRow,
} from './rows.ts';
import { COUNTER_COLUMNS, migrate, publicState, STATE, type StateCode } from './schema.ts';
import { prepareStatements, ReadyLaneStatements, type Statements } from './statements.ts';
import { compactUrl } from './stored-url.ts';
import type {
  EndDetail,
  EndedUrl,
  FrontierShardStore,
  HostCount,
  LeaseOptions,
  NewUrl,
  ReasonCounts,
  UrlEntry,
  UrlIdentity,
  UrlState,
} from './types.ts';

export interface SqliteShardStoreOptions {
  /** The database file (its directory is created as needed), or `':memory:'` for a store that ends with the process. */
  path: string;
  /** The partition of the schedule topic this store holds (its shard). Recorded in the file: opening it for another partition fails. */
  partition: number;
  /** How long a statement waits for another connection's lock before it fails. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

interface UrlStateRow {
  id: number;
  state: StateCode;
  host_id: number;
  job_id: number;
}

type DoneResult = Parameters<FrontierShardStore['markDone']>[1];

/** Opens (creating or migrating as needed) the store of one frontier shard. */
export function openSqliteShardStore(options: SqliteShardStoreOptions): SqliteShardStore {
  return new SqliteShardStore(options);
}

/**
 * A frontier shard on `node:sqlite`: one database file per partition, written by one process.
 * Every operation is atomic on its own; wrap a batch in `transaction` to make it atomic (and
 * fast) as a whole.
 */
export class SqliteShardStore implements FrontierShardStore {
  readonly partition: number;
  readonly path: string;
  readonly hostPartitions: SqliteHostPartitions;
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  readonly #readyLane: ReadyLaneStatements;
  #open = true;
  #depth = 0;
  // Job names are few and asked on every operation: kept in memory, reloaded after a rollback.
  #jobIds = new Map<string, number>();
  #jobNames = new Map<number, string>();
  /** The last place handed out in the round-robin over hosts. */
  #turn = 0;
  readonly #dueTimes = new DueTimes();
  /** Scratch counter deltas of a single move, reused so the hot path allocates nothing. */
  readonly #oneMove = COUNTER_COLUMNS.map(() => 0);
  readonly #jobCounters = new JobCounters();

  constructor(options: SqliteShardStoreOptions) {
    this.partition = options.partition;
    this.path = options.path;
    this.#db = openConnection(options.path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    try {
      migrate(this.#db);
      this.#sql = prepareStatements(this.#db);
      this.#readyLane = new ReadyLaneStatements(this.#db);
      this.hostPartitions = new SqliteHostPartitions(this.#db, () => this.#assertOpen());
      this.#claimPartition();
      this.#reloadMemory();
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  transaction<T>(fn: () => T): T {
    this.#assertOpen();
    const outermost = this.#depth === 0;
    const savepoint = `nested_${this.#depth}`;
    this.#db.exec(outermost ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    try {
      const result = fn();
      if (isThenable(result)) {
        throw new StoreError(
          STORE_ERROR_CODES.asyncTransaction,
          'a store transaction runs synchronously: its function must not return a promise',
          { partition: this.partition },
        );
      }
      this.#db.exec(outermost ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      if (outermost) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      } else {
        this.#db.exec(`ROLLBACK TO ${savepoint}`);
        this.#db.exec(`RELEASE ${savepoint}`);
      }
      this.#reloadMemory();
      throw error;
    } finally {
      this.#depth--;
    }
  }

  add(url: NewUrl): boolean {
    return this.#atomically(() => {
      if (this.#sql.urlState.get(url.fp) !== undefined) return false;
      const notBefore = url.notBefore ?? 0;
      this.#insert(url.fp, url, notBefore > 0 ? STATE.waiting : STATE.ready, notBefore);
      return true;
    });
  }

  stateOf(fp: string): UrlState | undefined {
    this.#assertOpen();
    const row = this.#stateOf(fp);
    return row === undefined ? undefined : publicState(row.state);
  }

  get(fp: string): UrlEntry | undefined {
    this.#assertOpen();
    const row = this.#sql.urlByFp.get(fp) as UrlRow | undefined;
    return row === undefined ? undefined : this.#entry(row);
  }

  markDone(fp: string, result: DoneResult, identity?: UrlIdentity): boolean {
    return this.#atomically(() => {
      const row = this.#stateOf(fp);
      const fetched = [
        result.fetchedAt,
        result.nextFetchAt ?? null,
        result.status,
        result.validators?.etag ?? null,
        result.validators?.lastModified ?? null,
      ] as const;
      if (row === undefined) {
        if (identity === undefined) return false;
        this.#insert(fp, identity, STATE.done, 0, fetched);
        return true;
      }
      if (row.state === STATE.done) return false;
      this.#leaveEnded(row);
      this.#sql.setDone.run(...fetched, row.id);
      if (result.nextFetchAt !== undefined) this.#dueTimes.lower(row.job_id, result.nextFetchAt);
      this.#moved(row, STATE.done);
      return true;
    });
  }

  requeue(fp: string, notBefore: number): void {
    this.#atomically(() => {
      const row = this.#stateOf(fp);
      if (row === undefined) return;
      const state = notBefore > 0 ? STATE.waiting : STATE.ready;
      this.#leaveEnded(row);
      this.#sql.setQueued.run(state, notBefore, row.id);
      if (state === STATE.waiting) this.#dueTimes.lower(row.job_id, notBefore);
      this.#moved(row, state);
    });
  }

  markFailed(fp: string, errorClass: string, detail: EndDetail = {}): void {
    this.#atomically(() => {
      const row = this.#stateOf(fp);
      if (row === undefined) return;
      this.#end(row, STATE.failed, errorClass, detail);
    });
  }

  markDropped(fp: string, reason: string, identity?: UrlIdentity, detail: EndDetail = {}): boolean {
    return this.#atomically(() => {
      const row = this.#stateOf(fp);
      if (row === undefined) {
        if (identity === undefined) return false;
        const code = detail.reason ?? reasonOfText(reason);
        const jobId = this.#jobId(identity.job);
        const hostId = this.#hostId(jobId, identity.hostKey);
        this.#sql.insertEndedUrl.run(
          fp,
          hostId,
          jobId,
          STATE.dropped,
          identity.score ?? 0,
          identity.depth,
          compactUrl(identity.url, identity.hostKey),
          identity.meta === undefined ? null : JSON.stringify(identity.meta),
          reason,
          code,
          detail.message ?? reason,
        );
        this.#moved({ host_id: hostId, job_id: jobId, state: undefined }, STATE.dropped);
        this.#countReason(jobId, STATE.dropped, code, 1);
        return true;
      }
      if (row.state === STATE.dropped) return false;
      this.#end(row, STATE.dropped, reason, detail);
      return true;
    });
  }

  requeueDropped(fp: string, url: { score: number; depth: number; notBefore?: number }): boolean {
    return this.#atomically(() => {
      const row = this.#stateOf(fp);
      if (row?.state !== STATE.dropped) return false;
      const notBefore = url.notBefore ?? 0;
      const state = notBefore > 0 ? STATE.waiting : STATE.ready;
      this.#leaveEnded(row);
      this.#sql.reviveDropped.run(state, url.score, url.depth, notBefore, row.id);
      this.#moved(row, state);
      return true;
    });
  }

  endDetail(fp: string): { reason: OutcomeReason; message?: string; depth: number } | undefined {
    this.#assertOpen();
    const row = this.#stateOf(fp);
    if (row === undefined || (row.state !== STATE.failed && row.state !== STATE.dropped)) return undefined;
    const detail = this.#sql.endDetail.get(row.id) as unknown as EndDetailRow;
    const reason = reasonOfRow(detail);
    return detail.message === null
      ? { reason, depth: detail.depth }
      : { reason, message: detail.message, depth: detail.depth };
  }

  reasonCounts(job?: string): ReasonCounts {
    this.#assertOpen();
    const counts: ReasonCounts = { failed: {}, dropped: {} };
    let rows: { state: number; reason: string; count: number }[] = [];
    if (job === undefined) rows = this.#sql.allReasonCounts.all() as typeof rows;
    else {
      const jobId = this.#jobIds.get(job);
      if (jobId !== undefined) rows = this.#sql.jobReasonCounts.all(jobId) as typeof rows;
    }
    for (const row of rows) {
      const into = row.state === STATE.failed ? counts.failed : counts.dropped;
      const reason = isOutcomeReason(row.reason) ? row.reason : 'other';
      into[reason] = (into[reason] ?? 0) + row.count;
    }
    return counts;
  }

  endedUrls(options: { job?: string; afterId?: number; limit: number }): EndedUrl[] {
    this.#assertOpen();
    const after = options.afterId ?? 0;
    const limit = Math.max(1, Math.floor(options.limit));
    let rows: EndedUrlRow[];
    if (options.job === undefined) rows = this.#sql.endedUrls.all(after, limit) as unknown as EndedUrlRow[];
    else {
      const jobId = this.#jobIds.get(options.job);
      if (jobId === undefined) return [];
      rows = this.#sql.jobEndedUrls.all(jobId, after, limit) as unknown as EndedUrlRow[];
    }
    return rows.map((row) => toEndedUrl(row, this.#jobNames.get(row.job_id) ?? ''));
  }

  leaseDue(options: LeaseOptions): UrlEntry[] {
    this.#assertOpen();
    const jobIds = this.#knownJobIds(options.jobs);
    // Whole numbers: the per-host limit is written into SQL.
    const limit = Math.floor(options.limit);
    const perHost = Math.floor(options.perHost);
    const maxInflight = Math.floor(options.maxInflightPerHost ?? Number.MAX_SAFE_INTEGER);
    // Hosts with fewer in flight than this have room for `minHostRoom`; one with none in flight always has.
    const eligibleBelow = Math.max(1, maxInflight - Math.max(1, Math.floor(options.minHostRoom ?? 1)) + 1);
    if (jobIds.length === 0 || !(limit > 0) || !(perHost > 0)) return [];
    // Nothing that may have fallen due, and no host with URLs ready and room for them (none
    // ready at all, or every such host at its bound): the frontier asks often while its
    // crawlers hold all there is, and the answer needs no transaction.
    if (
      jobIds.every(
        (jobId) =>
          !this.#dueTimes.mayBeDue(jobId, options.now) &&
          (this.#ready(jobId) === 0 || this.#sql.hostWithRoom.get(jobId, eligibleBelow) === undefined),
      )
    )
      return [];
    return this.#atomically(() => {
      const deltas = new CounterDeltas();
      for (const jobId of jobIds) this.#dueTimes.promote(this.#sql, jobId, options.now, deltas);
      // Host selection reads the `ready` counters: the promotions must be counted first.
      this.#flush(deltas);

      // Host rows stay as they are until the final flush, so the queue's pages stay consistent.
      const hosts = new ReadyHostQueue(
        jobIds,
        Math.ceil(limit / perHost),
        (jobId, afterTurn, count) =>
          this.#sql.readyHosts.all(jobId, afterTurn, eligibleBelow, count) as unknown as ReadyHostCounts[],
      );
      const expiresAt = options.now + options.leaseMs;
      // One token for the call: it tells this lease from any other of the same URL, and names
      // the call's URLs as unsent until the frontier confirms their send.
      const lease = newLeaseToken();
      const lanes: UrlEntry[][] = [];
      let remaining = limit;
      for (let host = hosts.next(); host !== undefined && remaining > 0; host = hosts.next()) {
        const lane = this.#readyLane.forLimit(Math.min(perHost, remaining, maxInflight - host.inflight));
        const rows = lane.all(host.host_id) as unknown as UrlRow[];
        const hostProgress = progressOf(host);
        const leased = rows.map((row) => {
          this.#sql.setLeased.run(lease, expiresAt, row.id);
          const entry = this.#entry({
            ...row,
            state: STATE.inflight,
            lease,
            lease_expires_at: expiresAt,
            attempts: row.attempts + 1,
          });
          entry.hostProgress = hostProgress;
          return entry;
        });
        remaining -= leased.length;
        deltas.move(host.host_id, host.job_id, STATE.ready, STATE.inflight, leased.length);
        deltas.leased(host.host_id, host.job_id, ++this.#turn);
        lanes.push(leased);
      }
      this.#flush(deltas);
      this.#saveTurn();
      if (lanes.some((lane) => lane.length > 0)) this.#sql.setUnsentLease.run(lease);
      return interleave(lanes);
    });
  }

  markSent(lease: string): void {
    this.#atomically(() => this.#sql.clearUnsentLease.run(lease));
  }

  requeueUnsent(now: number): number {
    return this.#atomically(() => {
      const unsent = this.#sql.unsentLease.get() as { value: string } | undefined;
      if (unsent === undefined) return 0;
      const fps = (this.#sql.inflightOfLease.all(unsent.value) as { fp: string }[]).map((row) => row.fp);
      for (const fp of fps) this.requeue(fp, now);
      this.#sql.clearUnsentLease.run(unsent.value);
      return fps.length;
    });
  }

  expiredLeases(now: number, limit: number): UrlEntry[] {
    this.#assertOpen();
    return (this.#sql.expiredLeases.all(now, limit) as unknown as UrlRow[]).map((row) => this.#entry(row));
  }

  counts(job?: string): Record<UrlState, number> {
    this.#assertOpen();
    return this.#jobCounters.counts((jobId) => job === undefined || this.#jobNames.get(jobId) === job);
  }

  hostTotal(job: string, hostKey: string): number {
    this.#assertOpen();
    const jobId = this.#jobIds.get(job);
    if (jobId === undefined) return 0;
    const row = this.#sql.hostTotal.get(jobId, hostKey) as { total: number } | undefined;
    return row?.total ?? 0;
  }

  jobTotal(job: string): number {
    this.#assertOpen();
    const jobId = this.#jobIds.get(job);
    return jobId === undefined ? 0 : this.#jobCounters.total(jobId);
  }

  /**
   * The busiest hosts (queued + inflight, then done), a host key's jobs summed. A status query:
   * it reads every host row.
   */
  topHosts(limit: number): HostCount[] {
    this.#assertOpen();
    return (this.#sql.topHosts.all(limit) as unknown as HostCount[]).map((row) => ({ ...row }));
  }

  nextDueAt(jobs: readonly string[]): number | undefined {
    this.#assertOpen();
    let earliest: number | undefined;
    for (const jobId of this.#knownJobIds(jobs)) {
      if (this.#ready(jobId) > 0) return 0;
      for (const next of [this.#sql.nextWaiting, this.#sql.nextRevisit]) {
        const at = (next.get(jobId) as { at: number | null }).at;
        if (at !== null && (earliest === undefined || at < earliest)) earliest = at;
      }
    }
    return earliest;
  }

  readyCount(jobs: readonly string[]): number {
    this.#assertOpen();
    let ready = 0;
    for (const jobId of this.#knownJobIds(jobs)) ready += this.#ready(jobId);
    return ready;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      // Lets SQLite refresh the planner statistics it finds stale; cheap when nothing changed.
      this.#db.exec('PRAGMA optimize');
    } finally {
      // Closed even when optimize fails (a lock held elsewhere): a store marked closed must not keep the file open.
      this.#db.close();
    }
  }

  #assertOpen(): void {
    if (!this.#open) {
      throw new StoreError(STORE_ERROR_CODES.closed, 'the frontier store is closed', {
        partition: this.partition,
        path: this.path,
      });
    }
  }

  /** Runs a multi-statement operation in a transaction unless it already is in one. */
  #atomically<T>(fn: () => T): T {
    this.#assertOpen();
    return this.#depth > 0 ? fn() : this.transaction(fn);
  }

  #claimPartition(): void {
    const recorded = this.#sql.meta.get('partition') as { value: number } | undefined;
    if (recorded === undefined) {
      this.#sql.setMeta.run('partition', this.partition);
    } else if (recorded.value !== this.partition) {
      throw new StoreError(
        STORE_ERROR_CODES.partitionMismatch,
        `store file holds partition ${recorded.value}, not ${this.partition}`,
        { path: this.path, partition: this.partition, recorded: recorded.value },
      );
    }
  }

  #reloadMemory(): void {
    this.#jobIds.clear();
    this.#jobNames.clear();
    for (const row of this.#sql.jobs.all() as { job_id: number; job: string }[]) {
      this.#jobIds.set(row.job, row.job_id);
      this.#jobNames.set(row.job_id, row.job);
    }
    this.#jobCounters.reload(this.#sql.jobCounters.all() as Record<string, number>[]);
    this.#turn = (this.#sql.meta.get('lease_turn') as { value: number } | undefined)?.value ?? 0;
    this.#dueTimes.clear();
  }

  #ready(jobId: number): number {
    return this.#jobCounters.count(jobId, STATE.ready);
  }

  /** Adds to a job's counters, in its row and in memory. */
  #addJobCounts(jobId: number, counts: readonly number[]): void {
    this.#sql.addJobCounts.run(...counts, jobId);
    this.#jobCounters.add(jobId, counts);
  }

  #knownJobIds(jobs: readonly string[]): number[] {
    const ids = new Set<number>();
    for (const job of jobs) {
      const id = this.#jobIds.get(job);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  #stateOf(fp: string): UrlStateRow | undefined {
    return this.#sql.urlState.get(fp) as UrlStateRow | undefined;
  }

  #entry(row: UrlRow): UrlEntry {
    return toEntry(row, this.#jobNames.get(row.job_id) ?? '');
  }

  #jobId(job: string): number {
    let id = this.#jobIds.get(job);
    if (id === undefined) {
      id = Number(this.#sql.insertJob.run(job).lastInsertRowid);
      this.#jobIds.set(job, id);
      this.#jobNames.set(id, job);
    }
    return id;
  }

  #hostId(jobId: number, hostKey: string): number {
    const row = this.#sql.hostId.get(jobId, hostKey) as { host_id: number } | undefined;
    if (row !== undefined) return row.host_id;
    const hostId = Number(this.#sql.insertHost.run(jobId, hostKey, ++this.#turn).lastInsertRowid);
    this.#saveTurn();
    return hostId;
  }

  #saveTurn(): void {
    this.#sql.setMeta.run('lease_turn', this.#turn);
  }

  #insert(
    fp: string,
    url: NewUrl | UrlIdentity,
    state: StateCode,
    notBefore: number,
    fetched: readonly SQLInputValue[] = [null, null, null, null, null],
  ): void {
    const jobId = this.#jobId(url.job);
    const hostId = this.#hostId(jobId, url.hostKey);
    const meta = url.meta === undefined ? null : JSON.stringify(url.meta);
    if (state === STATE.waiting) this.#dueTimes.lower(jobId, notBefore);
    const nextFetchAt = fetched[1];
    if (typeof nextFetchAt === 'number') this.#dueTimes.lower(jobId, nextFetchAt);
    this.#sql.insertUrl.run(
      fp,
      hostId,
      jobId,
      state,
      url.score ?? 0,
      url.depth,
      notBefore,
      compactUrl(url.url, url.hostKey),
      meta,
      ...fetched,
      null,
    );
    this.#moved({ host_id: hostId, job_id: jobId, state: undefined }, state);
  }

  /** Keeps the host's and job's counters in step with one URL's move. */
  #moved(row: { host_id: number; job_id: number; state: StateCode | undefined }, to: StateCode): void {
    if (row.state === to) return;
    const counts = this.#oneMove;
    counts.fill(0);
    if (row.state !== undefined) counts[row.state - 1] = -1;
    counts[to - 1] = 1;
    this.#sql.addHostCounts.run(...counts, 0, row.host_id);
    this.#addJobCounts(row.job_id, counts);
  }

  /** Moves a URL into an end state with its reason, keeping the reason counters in step. */
  #end(row: UrlStateRow, to: StateCode, errorClass: string, detail: EndDetail): void {
    const code = detail.reason ?? reasonOfText(errorClass);
    this.#leaveEnded(row);
    this.#sql.setEndedWithReason.run(
      to,
      errorClass,
      code,
      detail.message ?? errorClass,
      detail.status ?? null,
      row.id,
    );
    this.#moved(row, to);
    this.#countReason(row.job_id, to, code, 1);
  }

  /** A URL leaving failed or dropped takes its reason out of the counters (one read, on this rare move only). */
  #leaveEnded(row: UrlStateRow): void {
    if (row.state !== STATE.failed && row.state !== STATE.dropped) return;
    const detail = this.#sql.endDetail.get(row.id) as unknown as EndDetailRow;
    this.#countReason(row.job_id, row.state, reasonOfRow(detail), -1);
  }

  #countReason(jobId: number, state: StateCode, reason: OutcomeReason, delta: number): void {
    this.#sql.addReasonCount.run(jobId, state, reason, delta);
  }

  #flush(deltas: CounterDeltas): void {
    deltas.flush(
      (hostId, counts, turn) => this.#sql.addHostCounts.run(...counts, turn, hostId),
      (jobId, counts) => this.#addJobCounts(jobId, counts),
    );
  }
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
