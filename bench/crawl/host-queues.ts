/**
 * Per-host FIFO queues run with at most `perHost` tasks of one host and `global` tasks in
 * all at once: the politeness shape of kraul's crawler, without its delays.
 */
export class HostQueues {
  readonly #perHost: number;
  readonly #global: number;
  readonly #run: (host: string, item: string) => Promise<void>;
  readonly #queues = new Map<string, string[]>();
  readonly #active = new Map<string, number>();
  #running = 0;
  #failure: unknown;
  #wake: (() => void) | undefined;

  constructor(perHost: number, global: number, run: (host: string, item: string) => Promise<void>) {
    this.#perHost = perHost;
    this.#global = global;
    this.#run = run;
  }

  push(host: string, item: string): void {
    const queue = this.#queues.get(host);
    if (queue) queue.push(item);
    else this.#queues.set(host, [item]);
    this.#pump();
  }

  /** Resolves when every queue is empty and nothing runs; rejects with the first task's error. */
  drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#wake = () => (this.#failure === undefined ? resolve() : reject(this.#failure));
      this.#settleIfIdle();
    });
  }

  #pump(): void {
    for (const [host, queue] of this.#queues) {
      if (this.#running >= this.#global) return;
      while (
        queue.length > 0 &&
        this.#running < this.#global &&
        (this.#active.get(host) ?? 0) < this.#perHost
      ) {
        const item = queue.shift()!;
        this.#start(host, item);
      }
      if (queue.length === 0) this.#queues.delete(host);
    }
  }

  #start(host: string, item: string): void {
    this.#running += 1;
    this.#active.set(host, (this.#active.get(host) ?? 0) + 1);
    this.#run(host, item)
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#running -= 1;
        this.#active.set(host, this.#active.get(host)! - 1);
        this.#pump();
        this.#settleIfIdle();
      });
  }

  #settleIfIdle(): void {
    if (this.#running === 0 && this.#queues.size === 0) this.#wake?.();
  }
}
