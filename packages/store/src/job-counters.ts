import { COUNTER_COLUMNS, STATE, type StateCode } from './schema.ts';
import type { UrlState } from './types.ts';

/**
 * Each job's URL counters (`COUNTER_COLUMNS` order), mirroring the store's `jobs` rows: the
 * store adds to both in the same step and reloads these after a rollback. The frontier asks
 * for counts on every feed round, and a lease with nothing ready answers from them without a
 * transaction.
 */
export class JobCounters {
  readonly #byJob = new Map<number, number[]>();

  /** Replaces every job's counters with the rows read from the `jobs` table. */
  reload(rows: readonly Record<string, number>[]): void {
    this.#byJob.clear();
    for (const row of rows) {
      this.#byJob.set(
        row['job_id']!,
        COUNTER_COLUMNS.map((column) => row[column]!),
      );
    }
  }

  add(jobId: number, counts: readonly number[]): void {
    let counters = this.#byJob.get(jobId);
    if (counters === undefined) {
      counters = COUNTER_COLUMNS.map(() => 0);
      this.#byJob.set(jobId, counters);
    }
    for (const [i, count] of counts.entries()) counters[i]! += count;
  }

  count(jobId: number, state: StateCode): number {
    return this.#byJob.get(jobId)?.[state - 1] ?? 0;
  }

  /** URLs the job fetched or will fetch: a page budget counts these, and dropped URLs cost no page. */
  total(jobId: number): number {
    const counters = this.#byJob.get(jobId);
    if (counters === undefined) return 0;
    return counters.reduce((total, count, i) => (i === STATE.dropped - 1 ? total : total + count), 0);
  }

  /** URLs per public state over the jobs `include` accepts. */
  counts(include: (jobId: number) => boolean): Record<UrlState, number> {
    const sum = COUNTER_COLUMNS.map(() => 0);
    for (const [jobId, counters] of this.#byJob) {
      if (!include(jobId)) continue;
      for (const [i, count] of counters.entries()) sum[i]! += count;
    }
    const count = (state: StateCode): number => sum[state - 1]!;
    return {
      queued: count(STATE.ready) + count(STATE.waiting),
      inflight: count(STATE.inflight),
      done: count(STATE.done),
      failed: count(STATE.failed),
      dropped: count(STATE.dropped),
    };
  }
}
