import {
  type CrawlSeeded,
  type Decision,
  type FetchFailed,
  type Job,
  KraulError,
  type PageFetched,
  type PageLink,
} from '@kraul/protocol';
import { fingerprint, hostKey, partitionForKey, tryNormalizeUrl } from '@kraul/url';
import type { RecentUrls } from './recent-urls.ts';
import type { JobScope, ScopeVerdict } from './scope.ts';
import { isStep, originLength, type SequenceTraps } from './sequence-traps.ts';
import type { CrawlStrategy } from './types.ts';

/** Decisions bound for one partition of the schedule topic. */
export interface PartitionPlan {
  partition: number;
  /** A host key that hashes to the partition: the record's key. */
  key: string;
  decisions: Decision[];
}

/** Why links were left out, counted per page for metrics. */
export interface PlanStats {
  scheduled: number;
  /** Every link the scope refused (depth and traps included), or with no host to crawl. */
  outOfScope: number;
  /** Of those: deeper than the job's limit. */
  depth: number;
  /** Of those: recognised as a crawler trap (stateless heuristics or a barren counting chain). */
  trap: number;
  /** Drop decisions sent, so the frontier records the URL and why (repeats within the recent cache are not sent again). */
  dropped: number;
  recent: number;
  nofollow: number;
  rejectedByStrategy: number;
}

export interface PlannerContext {
  job: Job;
  scope: JobScope;
  strategy: CrawlStrategy;
  /** URLs sent lately, remembered per job: a URL another job sent is no repeat for this one. */
  recent: RecentUrls;
  /** Partitions of the schedule topic. */
  partitions: number;
  /** Counting chains of the job's hosts; without it only the stateless trap heuristics apply. */
  traps?: SequenceTraps;
}

/**
 * Turns one event into schedule decisions grouped by destination partition: one record per
 * partition per page, never one per link.
 */
export class Planner {
  readonly #byPartition = new Map<number, PartitionPlan>();
  readonly stats: PlanStats = {
    scheduled: 0,
    outOfScope: 0,
    depth: 0,
    trap: 0,
    dropped: 0,
    recent: 0,
    nofollow: 0,
    rejectedByStrategy: 0,
  };
  readonly #context: PlannerContext;

  constructor(context: PlannerContext) {
    this.#context = context;
  }

  plans(): PartitionPlan[] {
    return [...this.#byPartition.values()];
  }

  seeded(message: CrawlSeeded): void {
    const { job, scope, strategy } = this.#context;
    for (const seed of message.urls) {
      const url = tryNormalizeUrl(seed.url, { maxLength: job.settings.scope.maxUrlLength });
      if (url === undefined) continue;
      const fp = fingerprint(url);
      const verdict = scope.check(url, 0);
      if (!verdict.ok) {
        this.#add(url, { op: 'drop', url, fp, reason: verdict.reason, code: verdict.code, depth: 0 });
        continue;
      }
      const score = seed.score ?? strategy.scoreSeed?.(url, job) ?? 0;
      this.#add(url, { op: 'schedule', url, fp, score, depth: 0, ...(seed.meta ? { meta: seed.meta } : {}) });
      this.stats.scheduled += 1;
    }
  }

  fetched(page: PageFetched): void {
    const { job } = this.#context;
    // First, so that the page's own links to its host are judged by the rules already.
    if (page.robots) this.#add(page.robots.url, { op: 'robots', ...page.robots });
    this.#add(page.url, {
      op: 'done',
      url: page.url,
      fp: page.fp,
      lease: page.lease,
      status: page.status,
      fetchedAt: page.fetchedAt,
      ...(page.validators ? { validators: page.validators } : {}),
    });
    // The final URL of a redirect was fetched too: record it so a direct link to it is not fetched again.
    const finalKey =
      page.finalUrl !== page.url && this.#context.scope.check(page.finalUrl, page.depth).ok
        ? this.#keyOf(page.finalUrl)
        : undefined;
    if (finalKey !== undefined) {
      const fp = fingerprint(page.finalUrl);
      this.#addTo(finalKey, {
        op: 'done',
        url: page.finalUrl,
        fp,
        lease: '',
        status: page.status,
        fetchedAt: page.fetchedAt,
      });
      this.#seenLately(fp);
    }
    if (job.state === 'stopped') return;
    const followAll = job.settings.scope.followNofollow;
    if (page.nofollow && !followAll) {
      this.stats.nofollow += page.links.length;
    } else {
      const source = { url: page.url, depth: page.depth, score: 0 };
      const traps = this.#context.traps;
      const origin = traps === undefined ? -1 : originLength(page.url);
      // Links that count on from this page are judged last: whether the page brought anything
      // new besides them decides whether they continue a barren chain.
      const steps: PageLink[] = [];
      const scheduledBefore = this.stats.scheduled;
      for (const link of page.links) {
        if (link.nofollow && !followAll) {
          this.stats.nofollow += 1;
          continue;
        }
        if (origin > 0 && isStep(page.url, link.url, origin)) {
          steps.push(link);
          continue;
        }
        // A page handler's own score and data for a link it enqueued win over the strategy's.
        this.#link(
          link.url,
          page.depth + 1,
          () =>
            link.score ??
            this.#context.strategy.scoreLink({ ...link, depth: page.depth + 1, from: source }, job),
          link.meta,
        );
      }
      const broughtNew = this.stats.scheduled > scheduledBefore;
      const host = page.url.slice(0, origin);
      for (const link of steps) {
        const step = traps!.step(host, page.url, broughtNew, link.url);
        this.#link(
          link.url,
          page.depth + 1,
          () =>
            link.score ??
            this.#context.strategy.scoreLink({ ...link, depth: page.depth + 1, from: source }, job),
          link.meta,
          step.trap ? { ok: false, reason: step.reason, code: 'trap' } : undefined,
        );
      }
    }
    for (const sitemap of page.sitemaps ?? []) {
      this.#link(sitemap, page.depth, () => 0, { kind: 'sitemap' });
    }
  }

  failed(failure: FetchFailed): void {
    this.#add(failure.url, {
      op: 'failed',
      url: failure.url,
      fp: failure.fp,
      lease: failure.lease,
      errorClass: failure.errorClass,
      retryable: failure.retryable,
      message: failure.message,
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    });
  }

  #link(
    url: string,
    depth: number,
    score: () => number | undefined,
    meta?: Record<string, string | number | boolean>,
    refused?: ScopeVerdict,
  ): void {
    const verdict = refused ?? this.#context.scope.check(url, depth);
    // A URL the scope accepts can still have no host key (mailto:, ftp: in an 'any' scope).
    const key = this.#keyOf(url);
    if (!verdict.ok || key === undefined) {
      this.stats.outOfScope += 1;
      if (!verdict.ok && key !== undefined) this.#drop(url, depth, key, verdict);
      return;
    }
    const fp = fingerprint(url);
    if (this.#seenLately(fp)) {
      this.stats.recent += 1;
      return;
    }
    const value = score();
    if (value === undefined) {
      this.stats.rejectedByStrategy += 1;
      return;
    }
    this.#addTo(key, { op: 'schedule', url, fp, score: value, depth, ...(meta ? { meta } : {}) });
    this.stats.scheduled += 1;
  }

  /**
   * Tells the frontier a link is left out, and why, so it is counted and listed. Once per URL
   * within the recent cache. A link too deep is remembered apart from the URLs sent: found
   * again at a depth the job takes, it must still be scheduled.
   */
  #drop(url: string, depth: number, key: string, verdict: Extract<ScopeVerdict, { ok: false }>): void {
    if (verdict.code === 'depth') this.stats.depth += 1;
    else if (verdict.code === 'trap') this.stats.trap += 1;
    const fp = fingerprint(url);
    if (this.#seenLately(verdict.code === 'depth' ? `depth ${fp}` : fp)) return;
    this.#addTo(key, { op: 'drop', url, fp, reason: verdict.reason, code: verdict.code, depth });
    this.stats.dropped += 1;
  }

  #seenLately(fp: string): boolean {
    return this.#context.recent.seen(`${this.#context.job.id} ${fp}`);
  }

  /** The host key of a URL, or undefined when it has none (not http or https, no host). */
  #keyOf(url: string): string | undefined {
    try {
      return hostKey(url, this.#context.job.settings.hostKey);
    } catch (error) {
      if (error instanceof KraulError) return undefined;
      throw error;
    }
  }

  /** Throws when the URL has no host key: the event that carries it is invalid. */
  #add(url: string, decision: Decision): void {
    this.#addTo(hostKey(url, this.#context.job.settings.hostKey), decision);
  }

  #addTo(key: string, decision: Decision): void {
    const partition = partitionForKey(key, this.#context.partitions);
    const plan = this.#byPartition.get(partition);
    if (plan) plan.decisions.push(decision);
    else this.#byPartition.set(partition, { partition, key, decisions: [decision] });
  }
}
