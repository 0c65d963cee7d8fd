import { Worker } from 'node:worker_threads';
import type { Logger } from '@kraul/telemetry';
import type { HandlerResult, PageTask, ThreadData, ThreadMessage } from './handler-protocol.ts';

/** What became of one page given to a handler. */
export type HandlerOutcome =
  | HandlerResult
  | { ok: false; label: string | undefined; timedOut: true; error: { message: string; stack: string } };

interface Pending {
  id: number;
  page: PageTask;
  timeoutMs: number;
  resolve: (outcome: HandlerOutcome) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  loaded: boolean;
  running: Pending | undefined;
  timer: NodeJS.Timeout | undefined;
}

const THREAD_URL = new URL('./handler-thread.ts', import.meta.url);
/** A module that has not loaded by then (a top-level await that never settles) fails its pages. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * Threads that run one crawl module's handlers, one page at a time each. A handler past its
 * time limit is cut off by terminating its thread (nothing else can stop a loop that never
 * yields); a new thread takes its place. A module that does not load fails every page with
 * that error, so the job's pages are reported failed instead of hanging.
 */
export class HandlerPool {
  readonly #module: string;
  readonly #size: number;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #loadError: string | undefined;
  #closed = false;

  constructor(options: { module: string; threads: number; log: Logger }) {
    this.#module = options.module;
    this.#size = Math.max(1, options.threads);
    this.#log = options.log;
  }

  run(page: PageTask, timeoutMs: number): Promise<HandlerOutcome> {
    if (this.#loadError !== undefined) return Promise.resolve(this.#loadFailure());
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, page, timeoutMs, resolve });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.resolve(this.#closedOutcome());
    await Promise.all(this.#slots.splice(0).map((slot) => this.#retire(slot)));
  }

  #dispatch(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((candidate) => candidate.running === undefined);
      if (!slot) {
        if (this.#slots.length >= this.#size) return;
        slot = this.#spawn();
      }
      const pending = this.#queue.shift()!;
      slot.running = pending;
      const chosen = slot;
      if (!chosen.loaded) chosen.timer = setTimeout(() => this.#loadTimedOut(chosen), LOAD_TIMEOUT_MS);
      void chosen.ready.then(() => {
        clearTimeout(chosen.timer);
        if (chosen.running !== pending) return;
        // The limit counts from when the handler starts, not while the thread loads the module.
        chosen.timer = setTimeout(() => this.#timeOut(chosen, pending), pending.timeoutMs);
        chosen.worker.postMessage({ id: pending.id, page: pending.page });
      });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(THREAD_URL, { workerData: { module: this.#module } satisfies ThreadData });
    let markReady: () => void = () => {};
    const slot: Slot = {
      worker,
      ready: new Promise<void>((resolve) => {
        markReady = resolve;
      }),
      loaded: false,
      running: undefined,
      timer: undefined,
    };
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'ready') {
        slot.loaded = true;
        markReady();
      }
      if (message.type === 'log')
        this.#log[message.level]({ ...message.fields, source: 'handler' }, message.message);
      else if (message.type === 'load-failed') this.#failLoad(message.message);
      else if (message.type === 'result') this.#finish(slot, message.id, message.result);
    });
    // An error a handler left behind (a throw in a timer it set): the page it was on fails,
    // and the thread, whose state is now unknown, is replaced.
    worker.on('error', (error) => {
      const running = slot.running;
      this.#drop(slot);
      running?.resolve({
        ok: false,
        label: undefined,
        error: { message: `${error.name}: ${error.message}`, stack: error.stack ?? error.message },
      });
      this.#dispatch();
    });
    worker.on('exit', () => {
      if (this.#slots.includes(slot)) {
        const running = slot.running;
        this.#drop(slot);
        if (running) {
          const message = 'the handler ended its thread (process.exit?)';
          running.resolve(
            this.#loadError !== undefined
              ? this.#loadFailure()
              : { ok: false, label: undefined, error: { message, stack: message } },
          );
        }
        this.#dispatch();
      }
    });
    this.#slots.push(slot);
    return slot;
  }

  #finish(slot: Slot, id: number, result: HandlerResult): void {
    const running = slot.running;
    if (running?.id !== id) return;
    clearTimeout(slot.timer);
    slot.running = undefined;
    running.resolve(result);
    this.#dispatch();
  }

  #timeOut(slot: Slot, pending: Pending): void {
    if (slot.running !== pending) return;
    this.#drop(slot);
    void this.#retire(slot);
    const message = `handler ran longer than ${pending.timeoutMs} ms and was stopped`;
    pending.resolve({ ok: false, label: undefined, timedOut: true, error: { message, stack: message } });
    this.#dispatch();
  }

  #loadTimedOut(slot: Slot): void {
    if (slot.loaded || !this.#slots.includes(slot)) return;
    this.#drop(slot);
    void this.#retire(slot);
    this.#failLoad(`it did not finish loading within ${LOAD_TIMEOUT_MS / 1_000} s`);
    slot.running?.resolve(this.#loadFailure());
  }

  #failLoad(message: string): void {
    if (this.#loadError === undefined) {
      this.#loadError = message;
      this.#log.error(
        { module: this.#module, reason: message },
        'crawl module does not load; its pages fail',
      );
    }
    for (const pending of this.#queue.splice(0)) pending.resolve(this.#loadFailure());
  }

  #loadFailure(): HandlerOutcome {
    const message = `crawl module ${this.#module} does not load: ${this.#loadError}`;
    return { ok: false, label: undefined, error: { message, stack: message } };
  }

  #closedOutcome(): HandlerOutcome {
    const message = 'the crawler is stopping';
    return { ok: false, label: undefined, error: { message, stack: message } };
  }

  #drop(slot: Slot): void {
    clearTimeout(slot.timer);
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }

  async #retire(slot: Slot): Promise<void> {
    clearTimeout(slot.timer);
    await slot.worker.terminate().catch(() => {});
  }
}
