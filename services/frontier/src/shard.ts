import { type Decision, type FetchRequest, type Job, KraulError } from '@kraul/protocol';
import type { FrontierShardStore, UrlEntry } from '@kraul/store';
import { hostKey } from '@kraul/url';
import { type RetryPolicy, retryAt } from './retry-policy.ts';

/** What applying one batch of decisions changed, for metrics. */
export interface ApplyStats {
  added: number;
  duplicate: number;
  overBudget: number;
  done: number;
  retried: number;
  failed: number;
  dropped: number;
  stale: number;
  /** Decisions whose URL has no host key (not http or https): skipped, so the rest of the batch applies. */
  invalid: number;
}

export const emptyStats = (): ApplyStats => ({
  added: 0,
  duplicate: 0,
  overBudget: 0,
  done: 0,
  retried: 0,
  failed: 0,
  dropped: 0,
  stale: 0,
  invalid: 0,
});

/** URLs a job already holds across every shard this frontier owns (its page budget). */
export type JobTotal = (job: string) => number;

/**
 * One partition's crawl state and the frontier's policy over it: dedup, budgets, retries
 * and leases. Every batch of decisions is applied in one store transaction.
 */
export class FrontierShard {
  readonly partition: number;
  readonly store: FrontierShardStore;
  readonly #retry: RetryPolicy;

  constructor(store: FrontierShardStore, retry: RetryPolicy) {
    this.partition = store.partition;
    this.store = store;
    this.#retry = retry;
  }

  apply(job: Job, decisions: readonly Decision[], jobTotal: JobTotal, now: number, stats: ApplyStats): void {
    const { store } = this;
    const limits = job.settings.scope;
    store.transaction(() => {
      for (const decision of decisions) {
        // A decision that passed the schema can still name a URL without a host: one such
        // decision must not fail its whole batch, which would then never be completed.
        const key = hostKeyOf(decision.url, job);
        if (key === undefined) {
          stats.invalid += 1;
          continue;
        }
        switch (decision.op) {
          case 'schedule': {
            if (job.state === 'stopped') break;
            if (store.get(decision.fp)) {
              stats.duplicate += 1;
              break;
            }
            if (
              (limits.maxPagesPerHost !== undefined &&
                store.hostTotal(job.id, key) >= limits.maxPagesPerHost) ||
              (limits.maxPages !== undefined && jobTotal(job.id) >= limits.maxPages)
            ) {
              stats.overBudget += 1;
              break;
            }
            store.add({
              fp: decision.fp,
              url: decision.url,
              job: job.id,
              hostKey: key,
              score: decision.score,
              depth: decision.depth,
              ...(decision.notBefore === undefined ? {} : { notBefore: decision.notBefore }),
              ...(decision.meta === undefined ? {} : { meta: decision.meta }),
            });
            stats.added += 1;
            break;
          }
          case 'done': {
            const nextFetchAt =
              job.settings.recrawlIntervalMs === undefined
                ? undefined
                : decision.fetchedAt + job.settings.recrawlIntervalMs;
            const changed = store.markDone(
              decision.fp,
              {
                status: decision.status,
                fetchedAt: decision.fetchedAt,
                ...(decision.validators ? { validators: decision.validators } : {}),
                ...(nextFetchAt === undefined ? {} : { nextFetchAt }),
              },
              { url: decision.url, job: job.id, hostKey: key, depth: 0 },
            );
            if (changed) stats.done += 1;
            else stats.stale += 1;
            break;
          }
          case 'failed': {
            const entry = store.get(decision.fp);
            // Only the report of the lease in force counts: an older lease's report is stale.
            if (entry?.state !== 'inflight' || entry.lease !== decision.lease) {
              stats.stale += 1;
              break;
            }
            if (decision.errorClass === 'robots' && !decision.retryable) {
              // Not a failure of the page: the site asked not to be crawled there.
              store.markDropped(decision.fp, 'robots.txt');
              stats.dropped += 1;
            } else if (decision.retryable && entry.attempts < job.settings.maxAttempts) {
              store.requeue(decision.fp, retryAt(now, entry.attempts, this.#retry, decision.retryAfterMs));
              stats.retried += 1;
            } else {
              store.markFailed(decision.fp, decision.errorClass);
              stats.failed += 1;
            }
            break;
          }
          case 'drop': {
            store.markDropped(decision.fp, decision.reason, {
              url: decision.url,
              job: job.id,
              hostKey: key,
              depth: 0,
            });
            stats.dropped += 1;
            break;
          }
        }
      }
    });
  }

  /**
   * Leases whose time ran out: sent again (as a new attempt) unless the job's attempts are
   * spent. A lost fetch request or a lost report costs time, never a page.
   */
  expireLeases(jobs: ReadonlyMap<string, Job>, now: number): { resent: number; failed: number } {
    let resent = 0;
    let failed = 0;
    this.store.transaction(() => {
      for (const entry of this.store.expiredLeases(now, 1_000)) {
        const maxAttempts = jobs.get(entry.job)?.settings.maxAttempts ?? 1;
        if (entry.attempts >= maxAttempts) {
          this.store.markFailed(entry.fp, 'timeout');
          failed += 1;
        } else {
          this.store.requeue(entry.fp, now);
          resent += 1;
        }
      }
    });
    return { resent, failed };
  }

  /** Every lease back to the queue: used when the bus that carried them is gone (embedded restart). */
  releaseAllLeases(now: number): number {
    let released = 0;
    this.store.transaction(() => {
      for (;;) {
        const batch = this.store.expiredLeases(Number.MAX_SAFE_INTEGER, 1_000);
        if (batch.length === 0) break;
        for (const entry of batch) this.store.requeue(entry.fp, now);
        released += batch.length;
      }
    });
    return released;
  }
}

/** The URL's host key under the job's setting, or undefined when it has none. */
function hostKeyOf(url: string, job: Job): string | undefined {
  try {
    return hostKey(url, job.settings.hostKey);
  } catch (error) {
    if (error instanceof KraulError) return undefined;
    throw error;
  }
}

export function fetchRequestOf(entry: UrlEntry): FetchRequest {
  return {
    type: 'fetch.request',
    job: entry.job,
    url: entry.url,
    fp: entry.fp,
    depth: entry.depth,
    score: entry.score,
    attempt: entry.attempts,
    lease: entry.lease ?? '',
    ...(entry.validators && (entry.validators.etag || entry.validators.lastModified)
      ? { validators: entry.validators }
      : {}),
    ...(entry.meta ? { meta: entry.meta } : {}),
  };
}
