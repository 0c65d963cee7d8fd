// Carriage return, then ANSI "erase entire line": the next text replaces the old line.
const REWRITE = '\r\x1b[2K';

type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressLineOptions {
  /** Where the line is drawn. Default `process.stderr`, so stdout stays clean for data. */
  stream?: ProgressStream;
  /** How often the line is redrawn on a terminal, in ms. Default 1000. */
  intervalMs?: number;
  /**
   * How often a line is printed when the stream is not a terminal (CI logs, files), in ms.
   * Default 10 000: a redraw per second would flood the log.
   */
  nonTtyIntervalMs?: number;
  /** Produces the current status text, e.g. `1,204 pages · 12.3 pages/s · 3m 02s`. */
  render: () => string;
}

/**
 * A one-line status display. On a terminal it rewrites the same line in place; elsewhere
 * it appends a plain line now and then.
 */
export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #render: () => string;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ProgressLineOptions) {
    this.#stream = options.stream ?? process.stderr;
    this.#render = options.render;
    this.#tty = this.#stream.isTTY === true;
    this.#intervalMs = this.#tty ? (options.intervalMs ?? 1000) : (options.nonTtyIntervalMs ?? 10_000);
  }

  /** Starts drawing (immediately on a terminal, after the first interval elsewhere). */
  start(): void {
    if (this.#timer) return;
    if (this.#tty) this.#draw();
    this.#timer = setInterval(() => this.#draw(), this.#intervalMs);
    // A status line is never a reason to keep the process alive.
    this.#timer.unref();
  }

  /** Stops drawing; on a terminal the line is cleared. `finalLine` is printed as a normal line. */
  stop(finalLine?: string): void {
    if (this.#timer) clearInterval(this.#timer);
    const wasRunning = this.#timer !== undefined;
    this.#timer = undefined;
    if (this.#tty && wasRunning) this.#stream.write(REWRITE);
    if (finalLine !== undefined) this.#stream.write(`${finalLine}\n`);
  }

  #draw(): void {
    const text = this.#render().replace(/[\r\n]+/g, ' ');
    if (!this.#tty) {
      this.#stream.write(`${text}\n`);
      return;
    }
    // A line longer than the terminal wraps, and `\r` then only rewrites its last row.
    const width = this.#stream.columns;
    this.#stream.write(REWRITE + (width && text.length >= width ? text.slice(0, width - 1) : text));
  }
}
