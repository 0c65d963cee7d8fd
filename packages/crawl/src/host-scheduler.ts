import type { HostProgress } from '@kraul/protocol';
import { progressRank, ReadyHosts } from './host-priority.ts';

/**
 * What a task run asks of the scheduler afterwards: 'done'; 'again' to run it once more at the
 * head of its host queue; 'skipped' when it sent no request (robots.txt said no), so the
 * host's delay does not run for it.
 */
export type RunOutcome = 'done' | 'again' | 'skipped';

export interface HostPoliteness {
  /** Least time between two requests to the host (start to start, and end to start). */
  delayMs: number;
  /** Requests to the host at once. */
  concurrency: number;
}

/** One run as the scheduler saw it, on its own clock (`now`): what its politeness decisions were based on. */
export interface HostRun<T> {
  host: string;
  task: T;
  /** When the scheduler started the run; the host's next start was held until this plus its delay. */
  startedAt: number;
  /** When the run's promise settled; the host's next start was held until this plus its delay. */
  endedAt: number;
  outcome: RunOutcome;
}

export interface HostSchedulerOptions<T> {
  /** Requests at once over all hosts. Default: 32. */
  globalConcurrency?: number;
  /**
   * Runs one task. 'again' puts it back at the head of its host queue (e.g. after the
   * host's robots.txt was fetched in its place); either way the host's delay applies.
   */
  run(task: T, host: string): Promise<RunOutcome>;
  /** Called when a run throws (runs are expected to report their own failures). */
  onError?(error: unknown, task: T, host: string): void;
  /** Called after each run with the times the scheduler used (for tracing and tests). */
  onRun?(run: HostRun<T>): void;
  /**
   * With more hosts ready than free slots, hosts furthest from done go first; one passed over
   * this long is served next. Default: 10,000 ms.
   */
  maxReadyWaitMs?: number;
  now?: () => number;
}

interface HostSlot<T> {
  key: string;
  queue: T[];
  head: number;
  inFlight: number;
  /** Earliest time the next request may start. */
  readyAt: number;
  politeness: HostPoliteness;
  /** The frontier's count of the host's URLs when it leased the latest request pushed (the request's own, read only). */
  progress: HostProgress | undefined;
  timer: NodeJS.Timeout | undefined;
  queued: boolean;
}

/**
 * Per-host queues with per-host concurrency and delay under a global cap. A host waiting
 * out its delay holds no global slot and blocks no other host: a timer brings it back when
 * its delay has passed. Ready hosts are served furthest from done first (`ReadyHosts`), in
 * turn when the frontier sent no progress.
 */
export class HostScheduler<T> {
  readonly #options: HostSchedulerOptions<T>;
  readonly #hosts = new Map<string, HostSlot<T>>();
  readonly #ready: ReadyHosts<HostSlot<T>>;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #now: () => number;
  #inFlight = 0;
  #queued = 0;
  #closed = false;

  constructor(options: HostSchedulerOptions<T>) {
    this.#options = options;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#ready = new ReadyHosts(options.maxReadyWaitMs ?? 10_000);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queued;
  }

  get hosts(): number {
    return this.#hosts.size;
  }

  /**
   * Adds a task to the end of its host's queue; `politeness` replaces the host's settings and
   * `progress`, when given, the host's progress.
   */
  push(host: string, task: T, politeness: HostPoliteness, progress?: HostProgress): void {
    const slot = this.#slot(host, politeness);
    slot.politeness = politeness;
    if (progress !== undefined) slot.progress = progress;
    slot.queue.push(task);
    this.#queued += 1;
    this.#consider(slot);
    this.#pump();
  }

  /** Raises a host's delay (robots.txt Crawl-delay) for the requests still to come. */
  setPoliteness(host: string, politeness: HostPoliteness): void {
    const slot = this.#hosts.get(host);
    if (slot) slot.politeness = politeness;
  }

  /** Holds a host back until `ms` from now (Retry-After, 429/503 answers). */
  holdHost(host: string, ms: number): void {
    const slot = this.#slot(host, { delayMs: 0, concurrency: 1 });
    slot.readyAt = Math.max(slot.readyAt, this.#now() + ms);
    this.#consider(slot);
    this.#forgetIfEmpty(slot);
  }

  /**
   * Hosts whose delay still runs, with the milliseconds until each may get its next request:
   * what a partition's next owner must respect. A host with a request running counts its
   * delay from now (the request has not ended yet).
   */
  waitingHosts(): Map<string, number> {
    const now = this.#now();
    const waiting = new Map<string, number>();
    for (const slot of this.#hosts.values()) {
      const readyAt =
        slot.inFlight > 0 ? Math.max(slot.readyAt, now + slot.politeness.delayMs) : slot.readyAt;
      if (readyAt > now) waiting.set(slot.key, readyAt - now);
    }
    return waiting;
  }

  /** Removes queued (not started) tasks matching the predicate and returns them. */
  remove(predicate: (task: T) => boolean): T[] {
    const removed: T[] = [];
    for (const slot of this.#hosts.values()) {
      const kept: T[] = [];
      for (let i = slot.head; i < slot.queue.length; i++) {
        const task = slot.queue[i]!;
        if (predicate(task)) removed.push(task);
        else kept.push(task);
      }
      slot.queue = kept;
      slot.head = 0;
      this.#forgetIfEmpty(slot);
    }
    this.#queued -= removed.length;
    this.#notifyIdle();
    return removed;
  }

  /** Queued tasks per host, largest first. */
  queueDepths(limit = 10): { host: string; queued: number; inFlight: number }[] {
    return [...this.#hosts.values()]
      .map((slot) => ({ host: slot.key, queued: slot.queue.length - slot.head, inFlight: slot.inFlight }))
      .sort((a, b) => b.queued - a.queued)
      .slice(0, limit);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops every queued task and stops starting new ones; running tasks finish. */
  close(): T[] {
    this.#closed = true;
    this.#ready.clear();
    for (const slot of this.#hosts.values()) clearTimeout(slot.timer);
    return this.remove(() => true);
  }

  #slot(host: string, politeness: HostPoliteness): HostSlot<T> {
    let slot = this.#hosts.get(host);
    if (!slot) {
      slot = {
        key: host,
        queue: [],
        head: 0,
        inFlight: 0,
        readyAt: 0,
        politeness,
        progress: undefined,
        timer: undefined,
        queued: false,
      };
      this.#hosts.set(host, slot);
    }
    return slot;
  }

  /** Puts a host in the ready queue now or sets its timer for when its delay has passed. */
  #consider(slot: HostSlot<T>): void {
    if (this.#closed || slot.queued || slot.head >= slot.queue.length) return;
    if (slot.inFlight >= slot.politeness.concurrency) return;
    const now = this.#now();
    const wait = slot.readyAt - now;
    if (wait <= 0) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.queued = true;
      this.#ready.add(slot, progressRank(slot.progress), now);
      return;
    }
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      this.#consider(slot);
      this.#pump();
    }, Math.ceil(wait));
  }

  #pump(): void {
    const cap = this.#options.globalConcurrency ?? 32;
    while (!this.#closed && this.#inFlight < cap && this.#ready.size > 0) {
      const slot = this.#ready.take(this.#now())!;
      slot.queued = false;
      if (slot.head >= slot.queue.length || slot.inFlight >= slot.politeness.concurrency) continue;
      if (slot.readyAt > this.#now()) {
        this.#consider(slot);
        continue;
      }
      const task = slot.queue[slot.head]!;
      slot.head += 1;
      if (slot.head > 64 && slot.head * 2 > slot.queue.length) {
        slot.queue = slot.queue.slice(slot.head);
        slot.head = 0;
      }
      this.#queued -= 1;
      this.#start(slot, task);
      this.#consider(slot);
    }
  }

  #start(slot: HostSlot<T>, task: T): void {
    slot.inFlight += 1;
    this.#inFlight += 1;
    const readyBefore = slot.readyAt;
    const startedAt = this.#now();
    const readyAfterStart = startedAt + slot.politeness.delayMs;
    slot.readyAt = readyAfterStart;
    let outcome: RunOutcome = 'done';
    this.#options
      .run(task, slot.key)
      .then(
        (result) => {
          outcome = result;
        },
        (error) => this.#options.onError?.(error, task, slot.key),
      )
      .finally(() => {
        slot.inFlight -= 1;
        this.#inFlight -= 1;
        const endedAt = this.#now();
        if (outcome === 'skipped') {
          // No request went out: the host is as ready as before, unless it was held meanwhile.
          if (slot.readyAt === readyAfterStart) slot.readyAt = readyBefore;
        } else {
          slot.readyAt = Math.max(slot.readyAt, endedAt + slot.politeness.delayMs);
        }
        if (outcome === 'again' && !this.#closed) {
          if (slot.head > 0) slot.queue[--slot.head] = task;
          else slot.queue.unshift(task);
          this.#queued += 1;
        }
        this.#forgetIfEmpty(slot);
        this.#consider(slot);
        this.#pump();
        this.#notifyIdle();
        this.#options.onRun?.({ host: slot.key, task, startedAt, endedAt, outcome });
      });
  }

  #forgetIfEmpty(slot: HostSlot<T>): void {
    // A host with nothing queued or running is forgotten unless its delay still runs:
    // then the slot is kept so a new task waits out the delay.
    if (slot.inFlight !== 0 || slot.head < slot.queue.length) return;
    clearTimeout(slot.timer);
    const wait = slot.readyAt - this.#now();
    if (wait <= 0 || this.#closed) {
      slot.timer = undefined;
      if (this.#hosts.get(slot.key) === slot) this.#hosts.delete(slot.key);
      return;
    }
    slot.timer = setTimeout(() => this.#forgetIfEmpty(slot), Math.ceil(wait));
  }

  #notifyIdle(): void {
    if (this.#inFlight !== 0 || this.#queued !== 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
