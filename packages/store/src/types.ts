import type { HostProgress, OutcomeReason } from '@kraul/protocol';

/**
 * The frontier's state for one shard (one partition of the schedule and todo topics).
 * Primitive, policy-free operations: the frontier service decides retries, backoff and
 * limits; the store makes each batch of decisions durable in one transaction.
 */

export type UrlState = 'queued' | 'inflight' | 'done' | 'failed' | 'dropped';
export const URL_STATES: readonly UrlState[] = ['queued', 'inflight', 'done', 'failed', 'dropped'];

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface UrlEntry {
  fp: string;
  url: string;
  job: string;
  hostKey: string;
  state: UrlState;
  score: number;
  depth: number;
  /** Fetch attempts so far (a lease counts as an attempt). */
  attempts: number;
  /** Not to be fetched before this time (ms since epoch); 0 = now. */
  notBefore: number;
  lease?: string;
  leaseExpiresAt?: number;
  lastFetchAt?: number;
  /** When a done URL is due again (revisits). */
  nextFetchAt?: number;
  status?: number;
  validators?: Validators;
  errorClass?: string;
  meta?: Record<string, string | number | boolean>;
  /**
   * Set on a leased entry: the host's URLs in the job when it was leased, `done` ended
   * (done, failed or dropped) and `left` not (queued or in flight, this one included).
   */
  hostProgress?: HostProgress;
}

export interface NewUrl {
  fp: string;
  url: string;
  job: string;
  hostKey: string;
  score: number;
  depth: number;
  notBefore?: number;
  meta?: Record<string, string | number | boolean>;
}

/**
 * Who a URL is, for a report about a URL the store has never seen: a redirect's final URL
 * is reported done, or a link dropped, without ever having been queued.
 */
export interface UrlIdentity {
  url: string;
  job: string;
  hostKey: string;
  depth: number;
  /** Defaults to 0. */
  score?: number;
  meta?: Record<string, string | number | boolean>;
}

/** Why a URL ended failed or dropped, as recorded with it. */
export interface EndDetail {
  /** The reason code. Default: derived from the error class or drop text. */
  reason?: OutcomeReason;
  /** The detail in words. Default: the error class or drop text. */
  message?: string;
  /** The last response status, when there was one. */
  status?: number;
}

/** The end states that carry a reason. */
export type EndedState = 'failed' | 'dropped';

/** URLs per end state and reason. */
export type ReasonCounts = Record<EndedState, Partial<Record<OutcomeReason, number>>>;

/** Adds `more` into `total`: counts of several shards summed. */
export function addReasonCounts(total: ReasonCounts, more: ReasonCounts): ReasonCounts {
  for (const state of ['failed', 'dropped'] as const) {
    for (const [reason, count] of Object.entries(more[state]) as [OutcomeReason, number][]) {
      total[state][reason] = (total[state][reason] ?? 0) + count;
    }
  }
  return total;
}

/** A failed or dropped URL with why, as `kraul run --failures` and `kraul export --failures` write it. */
export interface EndedUrl {
  /** The row's place in the store: page with `endedUrls({ afterId })`. */
  id: number;
  job: string;
  url: string;
  state: EndedState;
  reason: OutcomeReason;
  message?: string;
  attempts: number;
  depth: number;
  /** The last response status, when there was one. */
  status?: number;
}

export interface LeaseOptions {
  now: number;
  /** Most URLs to lease in this call. */
  limit: number;
  /** Most URLs of one host in this call, so one big host cannot starve the rest. */
  perHost: number;
  leaseMs: number;
  /** Jobs whose URLs may be leased (paused and stopped jobs are left out). */
  jobs: readonly string[];
  /**
   * Most URLs of one host in flight at once, counting earlier leases (politeness: no more than
   * the host can be asked for within a lease). Default: no bound.
   */
  maxInflightPerHost?: number;
  /**
   * A host with URLs in flight is leased only when it has room for at least this many under
   * `maxInflightPerHost`, so a host held at that bound is fed a batch at a time rather than a
   * URL per completion; a host with none in flight is always leased. Default: 1.
   */
  minHostRoom?: number;
}

export interface HostCount {
  hostKey: string;
  queued: number;
  inflight: number;
  done: number;
}

/**
 * The todo partition of each host key of a shard, decided once before the host's first request
 * is sent and never changed (docs/architecture.md, "Host placement").
 */
export interface HostPartitions {
  /** The host key's todo partition; undefined while none was decided. */
  get(hostKey: string): number | undefined;
  /** Records the decision for a host key that has none; a second decision throws. */
  set(hostKey: string, partition: number): void;
  /** Host keys per todo partition, over this shard. */
  counts(): Map<number, number>;
}

export interface FrontierShardStore {
  readonly partition: number;
  readonly hostPartitions: HostPartitions;
  /** Runs `fn` in one transaction: all of its changes become durable together or not at all. */
  transaction<T>(fn: () => T): T;
  /** Adds a URL as queued unless its fingerprint is known. Returns whether it was added. */
  add(url: NewUrl): boolean;
  /** The URL's state, from the fingerprint index and the row's state alone; undefined when unknown. */
  stateOf(fp: string): UrlState | undefined;
  get(fp: string): UrlEntry | undefined;
  /**
   * Records a fetched URL as done. Returns false when it already was (duplicate report), or when
   * the fingerprint is unknown and no `identity` was given. With `identity`, an unknown URL is
   * recorded as done.
   */
  markDone(
    fp: string,
    result: { status: number; fetchedAt: number; validators?: Validators; nextFetchAt?: number },
    identity?: UrlIdentity,
  ): boolean;
  /** Puts a URL back in its host queue, due at `notBefore`. An unknown fingerprint is ignored. */
  requeue(fp: string, notBefore: number): void;
  /** Records a URL as finally failed, and why. An unknown fingerprint is ignored. */
  markFailed(fp: string, errorClass: string, detail?: EndDetail): void;
  /**
   * Records a URL as dropped (the reason is kept as its `errorClass`). Returns false when it
   * already was, or when the fingerprint is unknown and no `identity` was given. With `identity`,
   * an unknown URL is recorded as dropped, so it is never added later.
   */
  markDropped(fp: string, reason: string, identity?: UrlIdentity, detail?: EndDetail): boolean;
  /**
   * Queues a dropped URL again, at a new depth and score (a URL dropped for its depth or the
   * budget, found again where it may be fetched). Returns false unless it was dropped.
   */
  requeueDropped(fp: string, url: { score: number; depth: number; notBefore?: number }): boolean;
  /** Why a failed or dropped URL ended so; undefined for other states and unknown fingerprints. */
  endDetail(fp: string): { reason: OutcomeReason; message?: string; depth: number } | undefined;
  /** URLs per end state and reason, for one job or all: a read of the counter rows. */
  reasonCounts(job?: string): ReasonCounts;
  /** Failed and dropped URLs in store order after `afterId`, for one job or all. A full scan, for exports. */
  endedUrls(options: { job?: string; afterId?: number; limit: number }): EndedUrl[];
  /**
   * Leases due URLs (queued, or done and due for a revisit), hosts interleaved, best score first
   * within a host, then oldest. Each becomes inflight with attempts + 1 and the call's lease, a
   * fresh token shared by the URLs of one call. The call's lease is recorded as not yet sent,
   * in the same transaction, until `markSent` names it.
   */
  leaseDue(options: LeaseOptions): UrlEntry[];
  /** The lease of the last `leaseDue` has been sent (or need not be): forgets it as unsent. */
  markSent(lease: string): void;
  /**
   * Puts the URLs of a lease recorded as unsent back in the queue (the process that leased them
   * stopped before their send was confirmed), and forgets it. Returns how many.
   */
  requeueUnsent(now: number): number;
  /** Inflight URLs whose lease ran out, oldest first (the frontier decides: resend or fail). */
  expiredLeases(now: number, limit: number): UrlEntry[];
  /** Counts per state, for one job or all. */
  counts(job?: string): Record<UrlState, number>;
  /** URLs of one host of one job that are or will be fetched (every state but dropped): the per-host page budget. */
  hostTotal(job: string, hostKey: string): number;
  /** The same over the whole job in this shard: the job's page budget. */
  jobTotal(job: string): number;
  topHosts(limit: number): HostCount[];
  /**
   * Earliest time a URL of the given jobs falls due, to sleep until it: the earliest `notBefore`
   * among queued URLs (0 when some are due already) or `nextFetchAt` among done URLs awaiting a
   * revisit. Undefined when nothing is queued or awaiting a revisit.
   */
  nextDueAt(jobs: readonly string[]): number | undefined;
  /**
   * URLs of the given jobs queued and due now (promoted by a lease, not yet leased): after a
   * lease, what it left behind. Read from memory.
   */
  readyCount(jobs: readonly string[]): number;
  close(): void;
}
