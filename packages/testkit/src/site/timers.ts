import type { ServerResponse } from 'node:http';

/**
 * The site's timers, so `close()` can clear every one of them. A timer tied to a response
 * is also cleared when that response closes, so a client hanging up stops the work.
 */
export class SiteTimers {
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  /** Runs `fn` once after `ms`, unless `res` closes or the site stops first. */
  after(res: ServerResponse, ms: number, fn: () => void): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#track(res, timer);
  }

  /** Runs `fn` every `ms` until `res` closes or the site stops. */
  every(res: ServerResponse, ms: number, fn: () => void): void {
    if (this.#stopped) return;
    this.#track(res, setInterval(fn, ms));
  }

  #track(res: ServerResponse, timer: NodeJS.Timeout): void {
    this.#timers.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    });
  }

  /** Clears every timer and refuses new ones. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
