import { describe, expect, it } from 'vitest';
import { FeedWindow, type FeedWindowOptions } from '../src/feed-window.ts';

/**
 * A simulated partition on a fake clock: a crawler that completes up to `ratePerMs` requests
 * per ms of what it was sent, a pipeline delay before a request can complete, and a frontier
 * that feeds every `roundMs` as much as the window allows (with `due` URLs on hand).
 */
class Partition {
  now = 0;
  outstanding = 0;
  /** Send times of outstanding requests, oldest first. */
  readonly #sentAt: number[] = [];
  #carry = 0;
  completed = 0;
  maxOutstanding = 0;
  readonly window: FeedWindow;

  ratePerMs: number;
  readonly pipelineMs: number;
  due: number;
  /** All requests are of one host, which may hold no more than its share of the window. */
  oneHost = false;

  constructor(
    options: FeedWindowOptions,
    ratePerMs: number,
    pipelineMs = 20,
    due = Number.POSITIVE_INFINITY,
  ) {
    this.window = new FeedWindow(0, options);
    this.ratePerMs = ratePerMs;
    this.pipelineMs = pipelineMs;
    this.due = due;
  }

  /** Runs `ms` of feed rounds of `roundMs` each. */
  run(ms: number, roundMs = 10): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now += roundMs;
      this.#complete(roundMs);
      const credit = this.window.credit(this.now, this.outstanding);
      const hostRoom = this.oneHost ? Math.max(0, this.window.hostShare(1) - this.outstanding) : credit;
      const count = Math.min(credit, this.due, hostRoom);
      for (let n = 0; n < count; n++) this.#sentAt.push(this.now);
      this.outstanding += count;
      this.due -= count;
      // As the frontier does: due URLs left behind with credit unused (the host's share held
      // them back) count as a full window.
      const heldBack = count < credit && this.due > 0;
      this.window.sent(count, (count > 0 && count === credit) || heldBack);
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    }
  }

  #complete(ms: number): void {
    this.#carry += this.ratePerMs * ms;
    while (this.#carry >= 1 && this.#sentAt.length > 0 && this.#sentAt[0]! + this.pipelineMs <= this.now) {
      this.#sentAt.shift();
      this.outstanding -= 1;
      this.completed += 1;
      this.#carry -= 1;
    }
    // A crawler with nothing to do does not bank its idle time.
    if (this.#sentAt.length === 0) this.#carry = Math.min(this.#carry, 1);
  }
}

describe('FeedWindow', () => {
  it('starts at the initial window and gives no credit beyond it', () => {
    const window = new FeedWindow(0, { initialWindow: 64, minWindow: 8 });
    expect(window.size).toBe(64);
    expect(window.credit(0, 0)).toBe(64);
    window.sent(64, true);
    expect(window.credit(5, 64)).toBe(0);
    expect(window.credit(6, 48)).toBe(16);
  });

  it('gives a full window beside inherited requests, and never more than the window on top of them', () => {
    const window = new FeedWindow(0, { initialWindow: 64, minWindow: 8, inherited: 100 });
    expect(window.credit(0, 100)).toBe(64);
    window.sent(64, true);
    // 60 requests complete, inherited or its own: it cannot tell which, and refills 60.
    expect(window.credit(1, 104)).toBe(60);
    window.sent(60, true);
    expect(window.credit(2, 150)).toBe(14);
    window.sent(14, true);
    // Out: 164 = the window on top of the 100 inherited, never more.
    expect(window.credit(3, 164)).toBe(0);
    // The count falls to 40, below what was inherited: taken for inherited ones (those that
    // never complete), so the whole window is free again, and 40 + 64 is the most out.
    expect(window.credit(4, 40)).toBe(64);
    window.sent(64, true);
    expect(window.credit(5, 104)).toBe(0);
  });

  it('holds back a refill smaller than an eighth of the window, so leases and sends come in batches', () => {
    const window = new FeedWindow(0, { initialWindow: 64, minWindow: 8 });
    expect(window.credit(0, 0)).toBe(64);
    window.sent(64, true);
    // 7 of 64 completed: room for 7, less than 8.
    expect(window.credit(1, 57)).toBe(0);
    expect(window.credit(2, 56)).toBe(8);
    // A small window still refills one at a time rather than never.
    const small = new FeedWindow(0, { initialWindow: 4, minWindow: 1 });
    small.sent(4, true);
    expect(small.credit(1, 3)).toBe(1);
  });

  it('grows to rate × target latency for a fast crawler, so the crawler never idles', () => {
    // 2 requests per ms (2,000/s), target 500 ms: about 1,000 requests in the window.
    const partition = new Partition({ initialWindow: 16, minWindow: 8, targetLatencyMs: 500 }, 2);
    partition.run(10_000);
    expect(partition.window.size).toBeGreaterThanOrEqual(800);
    expect(partition.window.size).toBeLessThanOrEqual(1_300);
    expect(partition.window.ratePerSecond).toBeGreaterThan(1_800);
    // Over the last second the crawler completed at its full rate.
    const before = partition.completed;
    partition.run(1_000);
    expect(partition.completed - before).toBeGreaterThanOrEqual(1_900);
  });

  it('shrinks for a slow crawler, which then holds about target latency of its own work', () => {
    const partition = new Partition({ initialWindow: 2_000, minWindow: 8, targetLatencyMs: 500 }, 2);
    partition.run(5_000);
    expect(partition.window.size).toBeGreaterThan(800);
    // The crawler slows down to 20 requests per second.
    partition.ratePerMs = 0.02;
    partition.run(10_000);
    expect(partition.window.size).toBeLessThanOrEqual(20);
    // What was sent before cannot be called back; once it is worked off, no more than the window is out.
    partition.run(60_000);
    expect(partition.outstanding).toBeLessThanOrEqual(partition.window.size);
    expect(partition.outstanding).toBeGreaterThan(0);
  });

  it('falls to the minimum for a crawler that stops, and the outstanding work never exceeds the window', () => {
    const partition = new Partition({ initialWindow: 100, minWindow: 10, targetLatencyMs: 1_000 }, 1);
    partition.run(3_000);
    partition.ratePerMs = 0;
    partition.run(5_000);
    expect(partition.window.size).toBe(10);
    expect(partition.window.credit(partition.now, partition.outstanding)).toBe(0);
  });

  it('keeps an unfilled window: a trickle of due URLs says nothing about the crawler', () => {
    const partition = new Partition({ initialWindow: 64, minWindow: 8, targetLatencyMs: 500 }, 2, 20, 0);
    for (let second = 0; second < 5; second++) {
      partition.due += 5;
      partition.run(1_000);
    }
    expect(partition.window.size).toBe(64);
    expect(partition.completed).toBe(25);
  });

  it('lets one host hold a quarter of the window, and at least the floor given', () => {
    const window = new FeedWindow(0, { initialWindow: 64, minWindow: 8 });
    expect(window.hostShare(4)).toBe(16);
    expect(window.hostShare(20)).toBe(20);
    expect(new FeedWindow(0, { initialWindow: 10, minWindow: 8 }).hostShare(1)).toBe(3);
    // Inherited requests may all be one host's: its share comes on top of those still out.
    const inheriting = new FeedWindow(0, { initialWindow: 64, minWindow: 8, inherited: 10 });
    inheriting.credit(0, 10);
    expect(inheriting.hostShare(4)).toBe(26);
    inheriting.credit(1, 4);
    expect(inheriting.hostShare(4)).toBe(20);
  });

  it('grows for a fast host held back by its share as for a full window, so one host never idles', () => {
    // One host, 2 requests per ms, target 500 ms: its quarter of the window grows with the
    // window to about a quarter of rate × target, far above what the pipeline needs.
    const partition = new Partition({ initialWindow: 16, minWindow: 8, targetLatencyMs: 500 }, 2);
    partition.oneHost = true;
    partition.run(10_000);
    expect(partition.window.size).toBeGreaterThanOrEqual(800);
    const before = partition.completed;
    partition.run(1_000);
    expect(partition.completed - before).toBeGreaterThanOrEqual(1_900);
  });

  it('never exceeds the maximum window nor half a lease of completions', () => {
    const capped = new Partition(
      { initialWindow: 64, minWindow: 8, maxWindow: 300, targetLatencyMs: 5_000 },
      2,
    );
    capped.run(10_000);
    expect(capped.window.size).toBe(300);
    expect(capped.maxOutstanding).toBeLessThanOrEqual(300);

    // 0.1 requests per ms and a lease of 2 s: at most 100 requests out.
    const leased = new Partition(
      { initialWindow: 64, minWindow: 8, targetLatencyMs: 60_000, leaseMs: 2_000 },
      0.1,
    );
    leased.run(20_000);
    expect(leased.window.size).toBeLessThanOrEqual(100);
  });

  it('holds the minimum window when the pipeline alone takes longer than the target latency', () => {
    // rate × target stays below the window however long it runs: the floor keeps the feed going.
    const partition = new Partition({ initialWindow: 8, minWindow: 8, targetLatencyMs: 100 }, 5, 200);
    partition.run(200);
    expect(partition.window.size).toBe(8);
    partition.run(10_000);
    expect(partition.window.size).toBe(8);
    expect(partition.completed).toBeGreaterThan(300);
  });

  it('refuses a minimum above the maximum', () => {
    expect(() => new FeedWindow(0, { minWindow: 10, maxWindow: 5 })).toThrow(RangeError);
  });
});
