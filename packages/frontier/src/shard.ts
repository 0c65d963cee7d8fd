import {
  type Decision,
  type FetchRequest,
  type Job,
  KraulError,
  type OutcomeReason,
  reasonOfFailure,
  reasonOfText,
} from '@kraul/protocol';
import type { EndedState, FrontierShardStore, LeaseOptions, UrlEntry } from '@kraul/store';
import { hostKey } from '@kraul/url';
import { HostRobots } from './host-robots.ts';
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
  /** New URLs dropped because their host's reported robots.txt disallows them. */
  robots: number;
  /** Decisions whose URL has no host key (not http or https): skipped, so the rest of the batch applies. */
  invalid: number;
  /** URLs that ended failed or dropped, per end state and reason: `failed/timeout` → count. */
  ended: Map<`${EndedState}/${OutcomeReason}`, number>;
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
  robots: 0,
  invalid: 0,
  ended: new Map(),
});

function countEnded(stats: ApplyStats, state: EndedState, reason: OutcomeReason): void {
  const key = `${state}/${reason}` as const;
  stats.ended.set(key, (stats.ended.get(key) ?? 0) + 1);
}

/** Reasons of a dropped URL that a later, acceptable schedule decision overrides. */
const REVIVABLE: ReadonlySet<OutcomeReason> = new Set(['depth', 'budget']);

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
  /** Hosts' robots.txt rules as the crawlers reported them. */
  readonly robots = new HostRobots();

  constructor(store: FrontierShardStore, retry: RetryPolicy) {
    this.partition = store.partition;
    this.store = store;
    this.#retry = retry;
  }

  /**
   * Applies the decision batches of one poll in a single store transaction: one commit per
   * poll rather than one per record.
   */
  applyAll(
    batches: readonly { job: Job; decisions: readonly Decision[] }[],
    jobTotal: JobTotal,
    now: number,
    stats: ApplyStats,
  ): void {
    this.store.transaction(() => {
      for (const { job, decisions } of batches) this.#applyDecisions(job, decisions, jobTotal, now, stats);
    });
  }

  apply(job: Job, decisions: readonly Decision[], jobTotal: JobTotal, now: number, stats: ApplyStats): void {
    this.store.transaction(() => this.#applyDecisions(job, decisions, jobTotal, now, stats));
  }

  #applyDecisions(
    job: Job,
    decisions: readonly Decision[],
    jobTotal: JobTotal,
    now: number,
    stats: ApplyStats,
  ): void {
    const { store } = this;
    const limits = job.settings.scope;
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
          // The state alone (the fingerprint index and one column), not the whole row: most links are known.
          const known = store.stateOf(decision.fp);
          // A URL dropped for its depth or the budget is taken when found where it may be fetched.
          const revive =
            known === 'dropped' && REVIVABLE.has(store.endDetail(decision.fp)?.reason ?? 'other');
          if (known !== undefined && !revive) {
            stats.duplicate += 1;
            break;
          }
          if (job.settings.politeness.respectRobots && this.robots.disallows(decision.url, now)) {
            // Known, so never added again, and never sent: no fetch request, no event.
            if (!known) {
              store.markDropped(
                decision.fp,
                'robots.txt',
                {
                  url: decision.url,
                  job: job.id,
                  hostKey: key,
                  depth: decision.depth,
                  score: decision.score,
                },
                { reason: 'robots' },
              );
              countEnded(stats, 'dropped', 'robots');
            }
            stats.robots += 1;
            break;
          }
          const budget =
            limits.maxPagesPerHost !== undefined && store.hostTotal(job.id, key) >= limits.maxPagesPerHost
              ? `over the budget of ${limits.maxPagesPerHost} pages per host`
              : limits.maxPages !== undefined && jobTotal(job.id) >= limits.maxPages
                ? `over the budget of ${limits.maxPages} pages`
                : undefined;
          if (budget !== undefined) {
            stats.overBudget += 1;
            // Recorded, so the summary says why the crawl stopped short; revived if budget frees up.
            if (!known) {
              store.markDropped(
                decision.fp,
                budget,
                {
                  url: decision.url,
                  job: job.id,
                  hostKey: key,
                  depth: decision.depth,
                  score: decision.score,
                },
                { reason: 'budget' },
              );
              countEnded(stats, 'dropped', 'budget');
            }
            break;
          }
          if (revive) {
            store.requeueDropped(decision.fp, {
              score: decision.score,
              depth: decision.depth,
              ...(decision.notBefore === undefined ? {} : { notBefore: decision.notBefore }),
            });
            stats.added += 1;
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
          const reason = reasonOfFailure(decision.errorClass, decision.status);
          const detail = {
            reason,
            ...(decision.message === undefined ? {} : { message: decision.message }),
            ...(decision.status === undefined ? {} : { status: decision.status }),
          };
          if (
            (decision.errorClass === 'robots' || decision.errorClass === 'out_of_scope') &&
            !decision.retryable
          ) {
            // Not a failure of the page: the site asked not to be crawled there, or a
            // redirect led out of the crawl.
            store.markDropped(
              decision.fp,
              decision.errorClass === 'robots' ? 'robots.txt' : 'out_of_scope',
              undefined,
              detail,
            );
            stats.dropped += 1;
            countEnded(stats, 'dropped', reason);
          } else if (decision.retryable && entry.attempts < job.settings.maxAttempts) {
            store.requeue(decision.fp, retryAt(now, entry.attempts, this.#retry, decision.retryAfterMs));
            stats.retried += 1;
          } else {
            store.markFailed(decision.fp, decision.errorClass, detail);
            stats.failed += 1;
            countEnded(stats, 'failed', reason);
          }
          break;
        }
        case 'robots': {
          this.robots.learn(decision);
          break;
        }
        case 'drop': {
          // A drop names a URL the strategy leaves out; one the frontier knows already keeps its state.
          if (store.stateOf(decision.fp) !== undefined) {
            stats.duplicate += 1;
            break;
          }
          const reason = decision.code ?? reasonOfText(decision.reason);
          store.markDropped(
            decision.fp,
            decision.reason,
            { url: decision.url, job: job.id, hostKey: key, depth: decision.depth ?? 0 },
            { reason },
          );
          stats.dropped += 1;
          countEnded(stats, 'dropped', reason);
          break;
        }
      }
    }
  }

  /**
   * Leases due URLs (`store.leaseDue`) and returns those to send: a URL its host's reported
   * robots.txt disallows (queued before the report came) is recorded as dropped instead.
   */
  lease(
    options: LeaseOptions,
    respectsRobots: (job: string) => boolean,
  ): { send: UrlEntry[]; dropped: number } {
    const leased = this.store.leaseDue(options);
    const send: UrlEntry[] = [];
    const refused: UrlEntry[] = [];
    for (const entry of leased) {
      if (respectsRobots(entry.job) && this.robots.disallows(entry.url, options.now)) refused.push(entry);
      else send.push(entry);
    }
    if (refused.length > 0)
      this.store.transaction(() => {
        for (const entry of refused)
          this.store.markDropped(entry.fp, 'robots.txt', undefined, { reason: 'robots' });
      });
    return { send, dropped: refused.length };
  }

  /**
   * Leases whose time ran out: sent again (as a new attempt) unless the job's attempts are
   * spent. A lost fetch request or a lost report costs time, never a page.
   */
  expireLeases(jobs: ReadonlyMap<string, Job>, now: number): { resent: number; failed: number } {
    let resent = 0;
    let failed = 0;
    // Read first: the common case, nothing expired, costs one indexed query and no transaction.
    const expired = this.store.expiredLeases(now, 1_000);
    if (expired.length === 0) return { resent, failed };
    this.store.transaction(() => {
      for (const entry of expired) {
        const maxAttempts = jobs.get(entry.job)?.settings.maxAttempts ?? 1;
        if (entry.attempts >= maxAttempts) {
          this.store.markFailed(entry.fp, 'timeout', {
            reason: 'timeout',
            message: `no report within the lease, after ${entry.attempts} attempts`,
          });
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
    ...(entry.hostProgress ? { hostProgress: entry.hostProgress } : {}),
  };
}
