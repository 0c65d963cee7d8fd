import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request headers the log keeps (lower-case names, as sent). */
export interface LoggedHeaders {
  host?: string;
  'user-agent'?: string;
  'accept-encoding'?: string;
  'if-none-match'?: string;
  'if-modified-since'?: string;
}

const KEPT_HEADERS = ['host', 'user-agent', 'accept-encoding', 'if-none-match', 'if-modified-since'] as const;

/**
 * One request as the site saw it. `startedAt`/`endedAt` are `performance.now()` ms (same
 * clock as the test process); the `*Epoch` twins are `Date.now()` ms. A request starts when
 * its handler runs and ends when the site begins to send the last of its response, or when
 * the connection closes first. Both err only towards larger gaps between requests: a start
 * is never logged before the request arrived, and an end is taken just before the last
 * write, so a site process descheduled right after it (a loaded machine) never logs an end
 * later than the client could have read it.
 */
export interface LoggedRequest {
  /** Order of arrival across the whole site, from 0 (not reset by `clearLog`). */
  readonly seq: number;
  readonly host: number;
  readonly address: string;
  /** The request target: path with query, as sent. */
  readonly path: string;
  /** `path` on the host's origin, written the way the site writes its links. */
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<LoggedHeaders>;
  readonly startedAt: number;
  readonly startedAtEpoch: number;
  /** Undefined while the request is still open. */
  readonly endedAt: number | undefined;
  readonly endedAtEpoch: number | undefined;
  /** Undefined when the connection closed before any status was sent. */
  readonly status: number | undefined;
  /** The connection closed before the response was complete (client gave up, or `close()`). */
  readonly aborted: boolean;
  /** Requests open on the same host when this one started, this one included. */
  readonly inFlightAtStart: number;
}

type MutableRequest = { -readonly [K in keyof LoggedRequest]: LoggedRequest[K] };

/** A predicate, or fields that must all match (`path` as exact string or pattern). */
export type RequestFilter =
  | ((request: LoggedRequest) => boolean)
  | { host?: number; path?: string | RegExp; method?: string };

export type GapMeasure = 'end-to-start' | 'start-to-start';

export interface GapOptions {
  /**
   * `end-to-start` (default): each request's start minus the latest end among the requests
   * that started before it, which is the pause a polite crawler inserts after a response
   * completes; `-Infinity` when one of those is still open, negative when they overlapped.
   * `start-to-start`: each request's start minus the previous request's start.
   */
  measure?: GapMeasure;
  /** Only these requests count, e.g. to leave robots.txt out. Default: all requests to the host. */
  filter?: RequestFilter;
}

function matches(filter: RequestFilter | undefined, request: LoggedRequest): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'function') return filter(request);
  if (filter.host !== undefined && request.host !== filter.host) return false;
  if (filter.method !== undefined && request.method !== filter.method.toUpperCase()) return false;
  if (typeof filter.path === 'string' && request.path !== filter.path) return false;
  if (filter.path instanceof RegExp && !filter.path.test(request.path)) return false;
  return true;
}

/** Every request to every host of the site, with what tests need to judge politeness. */
export class RequestLog {
  #entries: MutableRequest[] = [];
  #inFlight = new Map<number, number>();
  #seq = 0;
  #open = 0;
  #idleWaiters: (() => void)[] = [];

  /** Records a request at arrival; the entry completes itself when the response closes. */
  record(
    host: number,
    address: string,
    origin: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): LoggedRequest {
    const inFlight = (this.#inFlight.get(host) ?? 0) + 1;
    this.#inFlight.set(host, inFlight);
    const headers: LoggedHeaders = {};
    for (const name of KEPT_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const path = req.url ?? '/';
    const entry: MutableRequest = {
      seq: this.#seq++,
      host,
      address,
      path,
      url: origin + (path.startsWith('/') ? path : `/${path}`),
      method: req.method ?? 'GET',
      headers,
      startedAt: performance.now(),
      startedAtEpoch: Date.now(),
      endedAt: undefined,
      endedAtEpoch: undefined,
      status: undefined,
      aborted: false,
      inFlightAtStart: inFlight,
    };
    this.#entries.push(entry);
    this.#open++;
    const markEnd = () => {
      if (entry.endedAt !== undefined) return;
      entry.endedAt = performance.now();
      entry.endedAtEpoch = Date.now();
    };
    // Every way a handler finishes a response (directly, or a stream piped into it) ends in
    // res.end(): the moment before it is the latest the client may see the response end.
    const end = res.end;
    res.end = function endLogged(this: ServerResponse, ...args: unknown[]) {
      markEnd();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    res.once('close', () => {
      markEnd();
      entry.status = res.headersSent ? res.statusCode : undefined;
      entry.aborted = !res.writableFinished;
      this.#inFlight.set(host, (this.#inFlight.get(host) ?? 1) - 1);
      if (--this.#open === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    });
    return entry;
  }

  /** Requests in arrival order. */
  requests(filter?: RequestFilter): LoggedRequest[] {
    return this.#entries.filter((r) => matches(filter, r));
  }

  /** Most requests ever open at once on one host (requests still open count as open). */
  maxConcurrency(host: number, filter?: RequestFilter): number {
    const events: [time: number, delta: number][] = [];
    for (const r of this.requests(filter)) {
      if (r.host !== host) continue;
      events.push([r.startedAt, 1]);
      if (r.endedAt !== undefined) events.push([r.endedAt, -1]);
    }
    // At equal times an end sorts before a start: back-to-back requests never overlapped.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let max = 0;
    for (const [, delta] of events) {
      open += delta;
      max = Math.max(max, open);
    }
    return max;
  }

  /** Gaps in ms between consecutive requests to one host; see {@link GapOptions} for the definitions. */
  gaps(host: number, options: GapOptions = {}): number[] {
    const { measure = 'end-to-start', filter } = options;
    const list = this.requests(filter)
      .filter((r) => r.host === host)
      .sort((a, b) => a.startedAt - b.startedAt);
    const gaps: number[] = [];
    let latestEnd = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < list.length; i++) {
      const current = list[i]!;
      if (i > 0) {
        gaps.push(
          measure === 'start-to-start'
            ? current.startedAt - list[i - 1]!.startedAt
            : current.startedAt - latestEnd,
        );
      }
      latestEnd = Math.max(latestEnd, current.endedAt ?? Number.POSITIVE_INFINITY);
    }
    return gaps;
  }

  /** How many times each path (with query) was requested, over all hosts or the filtered requests. */
  countByPath(filter?: RequestFilter): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests(filter)) counts.set(r.path, (counts.get(r.path) ?? 0) + 1);
    return counts;
  }

  /** How many times each URL (origin + path) was requested. */
  countByUrl(filter?: RequestFilter): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests(filter)) counts.set(r.url, (counts.get(r.url) ?? 0) + 1);
    return counts;
  }

  /** Resolves once no request is open, so every entry has its end. */
  whenIdle(): Promise<void> {
    return this.#open === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Forgets the recorded requests; requests still open keep counting towards `inFlightAtStart`. */
  clear(): void {
    this.#entries = [];
  }
}
