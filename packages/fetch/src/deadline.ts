import { FetchError } from './errors.ts';

/**
 * One signal for one fetch: fires when the total time budget is spent or when the caller
 * aborts, with a `FetchError` as its reason, so whoever sees the abort can report why.
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort: () => void;

  constructor(url: string, totalTimeoutMs: number, callerSignal?: AbortSignal) {
    this.signal = this.#controller.signal;
    this.#callerSignal = callerSignal;
    this.#onCallerAbort = () => {
      this.#controller.abort(
        new FetchError('aborted', `fetch of ${url} aborted by the caller`, {
          url,
          cause: callerSignal?.reason,
        }),
      );
    };
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new FetchError('timeout', `no complete response from ${url} within ${totalTimeoutMs} ms`, {
          url,
          context: { phase: 'total', timeoutMs: totalTimeoutMs },
        }),
      );
    }, totalTimeoutMs);
    if (callerSignal?.aborted) this.#onCallerAbort();
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  /** Throws the abort reason if the fetch is over. */
  check(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}
