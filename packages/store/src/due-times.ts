import type { CounterDeltas } from './counter-deltas.ts';
import { STATE } from './schema.ts';
import type { Statements } from './statements.ts';

/**
 * Most URLs one lease call moves from waiting (or awaiting a revisit) to ready, per job and
 * lane, so a million URLs falling due at once cost several calls rather than one long
 * transaction. What is left stays due: `nextDueAt` reports a time already past.
 */
const PROMOTIONS_PER_CALL = 5000;

/**
 * Per job, the earliest time a waiting URL or a revisit can fall due, so a lease runs the
 * promotion statements only when something may be due. A job without a known time is
 * promoted (and its time recomputed); every write that sets a due time lowers it; a rollback
 * forgets them all.
 */
export class DueTimes {
  readonly #after = new Map<number, number>();

  /** Whether a lease at `now` must promote the job's due URLs. */
  mayBeDue(jobId: number, now: number): boolean {
    const after = this.#after.get(jobId);
    return after === undefined || now >= after;
  }

  /** Something of the job falls due at `at`. */
  lower(jobId: number, at: number): void {
    const known = this.#after.get(jobId);
    if (known !== undefined && at < known) this.#after.set(jobId, at);
  }

  /** After a promotion: the next due time, or undefined when it is not known (more remain). */
  set(jobId: number, next: number | undefined): void {
    if (next === undefined) this.#after.delete(jobId);
    else this.#after.set(jobId, next);
  }

  clear(): void {
    this.#after.clear();
  }

  /** Moves the job's URLs that are due at `now` to ready (counted in `deltas`), when any may be. */
  promote(sql: Statements, jobId: number, now: number, deltas: CounterDeltas): void {
    if (!this.mayBeDue(jobId, now)) return;
    const waiting = sql.promoteWaiting.all(jobId, now, PROMOTIONS_PER_CALL) as { host_id: number }[];
    for (const row of waiting) deltas.move(row.host_id, jobId, STATE.waiting, STATE.ready);
    const revisits = sql.promoteRevisits.all(jobId, now, PROMOTIONS_PER_CALL) as { host_id: number }[];
    for (const row of revisits) deltas.move(row.host_id, jobId, STATE.done, STATE.ready);
    const more = waiting.length === PROMOTIONS_PER_CALL || revisits.length === PROMOTIONS_PER_CALL;
    const next = [sql.nextWaiting, sql.nextRevisit]
      .map((statement) => (statement.get(jobId) as { at: number | null }).at ?? Number.POSITIVE_INFINITY)
      .reduce((a, b) => Math.min(a, b));
    this.set(jobId, more ? undefined : next);
  }
}
