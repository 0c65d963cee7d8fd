/**
 * Flow control of one todo partition: how many fetch requests the frontier may have out
 * (leased, not yet reported done or failed) on it.
 *
 * The window follows what the partition's crawler actually completes. Every feed round the
 * frontier tells the window how many requests are outstanding; the window infers the
 * completions since the last round (outstanding before + sent − outstanding now) and keeps a
 * moving average of the completion rate. Once per sample period it aims the window at
 * rate × target latency, so the partition holds about `targetLatencyMs` of its crawler's own
 * work:
 *
 * - a window that was full during the period (the feed was held back by it) and whose target
 *   lies above it grows towards the target, at most doubling per period (slow start), and by
 *   at least `minWindow / 4` so a rate measured under a small window cannot pin it there;
 * - a full window whose target lies below it shrinks towards the target, at most halving per
 *   period (multiplicative decrease), so a crawler that slows down or stops holds little
 *   more than `targetLatencyMs` of work and the rest stays in the frontier for the others;
 * - a window the feed did not fill keeps its size: an unused window says nothing about the
 *   crawler (a crawler that stops fills its window soon, and then it shrinks).
 *
 * Bounds: never below `minWindow` (a partition is never starved by a poor estimate), never
 * above `maxWindow` (memory: requests on the bus and in the crawler's buffers), and never more
 * than the partition completes in half a lease at its measured rate (a request must be
 * fetched well before its lease runs out and it is sent again). Within the window a host holds
 * at most a quarter of it (`hostShare`), so a host found later is fed at once; politeness per
 * host is bounded separately, by the lease query's per-host cap.
 *
 * Pure logic on a clock the caller passes in: tests drive it with a fake clock.
 */
export interface FeedWindowOptions {
  /** Work a partition may hold, in time at its measured completion rate. Default: 2,000 ms. */
  targetLatencyMs?: number;
  /** Window before anything is measured. Default: 64. */
  initialWindow?: number;
  /** Smallest window. Default: 32. */
  minWindow?: number;
  /** Largest window (memory bound). Default: 4,096. */
  maxWindow?: number;
  /** The lease of a fetch request; the window never exceeds half a lease's completions. Default: 600,000 ms. */
  leaseMs?: number;
  /** How often the window is resized. Default: 250 ms. */
  samplePeriodMs?: number;
  /**
   * Requests already outstanding when the window starts: leases of the partition's previous
   * owner (this process before a restart, or another member before a rebalance). Default: 0.
   */
  inherited?: number;
}

const DEFAULTS = {
  targetLatencyMs: 2_000,
  initialWindow: 64,
  minWindow: 32,
  maxWindow: 4_096,
  leaseMs: 600_000,
  samplePeriodMs: 250,
  inherited: 0,
} as const satisfies Required<FeedWindowOptions>;

/** Weight of the newest period in the completion-rate average. */
const RATE_WEIGHT = 0.5;

/**
 * The smallest refill, as a share of the window: credit below it is held back until more
 * requests complete. The partition still holds at least 7/8 of its window then, and each
 * lease (one store transaction) and each send carries several requests instead of the one
 * or two that complete between two rounds.
 */
const MIN_REFILL_SHARE = 1 / 8;

/**
 * The most of a window one host may hold. A partition's hosts share its window: without a
 * bound, the first host found fills it with its own URLs (which then wait in the crawler's
 * queue for that host, fetched one at a time at the host's politeness) while a host found
 * next waits for the window to drain, its politeness slot idle. A host still holds a quarter
 * of the window, half a second of the partition's work at the default target.
 */
const HOST_SHARE = 1 / 4;

export class FeedWindow {
  readonly #options: Required<FeedWindowOptions>;
  #window: number;
  /** Completions per ms, averaged over periods; undefined until the first period ends. */
  #rate: number | undefined;
  #outstanding = 0;
  #periodStart: number;
  #completedInPeriod = 0;
  #fullInPeriod = false;
  /**
   * Inherited requests not yet seen to complete. They do not count against the window: some
   * may never complete before their leases run out (a send cut short by a crash), and a window
   * they filled would feed nothing until then. As the outstanding count falls below it, it
   * falls with it; until then the partition may hold the window on top of them.
   */
  #inherited: number;

  constructor(now: number, options: FeedWindowOptions = {}) {
    const merged = { ...DEFAULTS, ...options };
    if (!(merged.minWindow >= 1) || merged.maxWindow < merged.minWindow)
      throw new RangeError(
        `feed window: need 1 <= minWindow <= maxWindow, got minWindow ${merged.minWindow}, maxWindow ${merged.maxWindow}`,
      );
    this.#options = merged;
    this.#window = clamp(merged.initialWindow, merged.minWindow, merged.maxWindow);
    this.#periodStart = now;
    this.#inherited = Math.max(0, Math.floor(merged.inherited));
    this.#outstanding = this.#inherited;
  }

  /** The current window (requests that may be outstanding). */
  get size(): number {
    return Math.floor(this.#window);
  }

  /**
   * Most requests one host may have outstanding on the partition: a quarter of the window, and
   * at least `floor` (one lease's worth for a host), on top of the inherited requests not yet
   * seen to complete (they may all be that host's, and must not hold it back, as they do not
   * hold back the window).
   */
  hostShare(floor: number): number {
    return Math.max(floor, Math.ceil(this.size * HOST_SHARE)) + this.#inherited;
  }

  /** Completions per second as last measured, or undefined before the first period ends. */
  get ratePerSecond(): number | undefined {
    return this.#rate === undefined ? undefined : this.#rate * 1_000;
  }

  /**
   * How many requests may be sent now, given how many are outstanding on the partition (leased
   * and not yet reported): the room left in the window, or 0 while that room is below an
   * eighth of the window. Call once per feed round, then `sent` with what was sent.
   */
  credit(now: number, outstanding: number): number {
    this.#observe(now, outstanding);
    this.#inherited = Math.min(this.#inherited, outstanding);
    const credit = Math.max(0, this.size - (outstanding - this.#inherited));
    if (credit >= Math.max(1, Math.floor(this.size * MIN_REFILL_SHARE))) return credit;
    this.#fullInPeriod = true;
    return 0;
  }

  /**
   * Requests sent after `credit`. `filled`: the window held the feed back, not the supply of
   * due URLs: as many were sent as the credit allowed, or due URLs were left because their
   * hosts held their share of the window.
   */
  sent(count: number, filled: boolean): void {
    this.#outstanding += count;
    if (filled) this.#fullInPeriod = true;
  }

  #observe(now: number, outstanding: number): void {
    // What left the outstanding set since the last look was completed (or its lease ran out).
    const completed = Math.max(0, this.#outstanding - outstanding);
    this.#completedInPeriod += completed;
    this.#outstanding = outstanding;
    const elapsed = now - this.#periodStart;
    if (elapsed < this.#options.samplePeriodMs) return;
    const rate = this.#completedInPeriod / elapsed;
    this.#rate = this.#rate === undefined ? rate : RATE_WEIGHT * rate + (1 - RATE_WEIGHT) * this.#rate;
    this.#resize();
    this.#periodStart = now;
    this.#completedInPeriod = 0;
    this.#fullInPeriod = false;
  }

  #resize(): void {
    const { targetLatencyMs, minWindow, maxWindow, leaseMs } = this.#options;
    const rate = this.#rate ?? 0;
    const target = rate * targetLatencyMs;
    let next = this.#window;
    // An unused window says nothing about the crawler: only a full one is resized.
    if (this.#fullInPeriod) {
      next =
        target > this.#window
          ? Math.min(2 * this.#window, Math.max(target, this.#window + minWindow / 4))
          : Math.max(target, this.#window / 2);
    }
    const leaseBound = Math.max(minWindow, (rate * leaseMs) / 2);
    this.#window = clamp(Math.min(next, leaseBound), minWindow, maxWindow);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
