/**
 * Traps that only show along a chain of links: a calendar whose every page links the next
 * day, a counter `?page=N` linking `?page=N+1` without end, a query string that grows by a
 * parameter per page. Each URL of such a chain is new, so neither deduplication nor the
 * stateless heuristics stop it; only the depth limit would.
 *
 * A link is a *step* of its page when both have the same shape (the URL with every run of
 * digits replaced) and one of the numbers moved by exactly one, or when the link's query
 * string is the page's with more appended. Legitimate pagination has steps too, but each of
 * its pages brings new content (links that are not steps); a trap's pages bring nothing
 * new. So the detector counts *barren* steps: a step from a page that brought nothing new
 * is one more than that page's own count, a step from a page with new links starts at
 * zero again. A link whose count would pass `maxBarrenSteps` is a trap.
 *
 * Memory is bounded: counts are kept only for URLs reached by barren steps, per host in
 * insertion order up to `maxUrlsPerHost`, for up to `maxHosts` hosts (least recently used
 * hosts forgotten first). A forgotten count starts again at zero, so forgetting only makes
 * the detector later, never wrong about a page with content.
 */
export interface SequenceTrapLimits {
  /** Barren steps in a row a chain may take; the next one is a trap. Default: 5. */
  maxBarrenSteps: number;
  /** Hosts whose chains are remembered. Default: 2,048. */
  maxHosts: number;
  /** URLs with a count remembered per host. Default: 256. */
  maxUrlsPerHost: number;
}

export const DEFAULT_SEQUENCE_TRAP_LIMITS: SequenceTrapLimits = {
  maxBarrenSteps: 5,
  maxHosts: 2_048,
  maxUrlsPerHost: 256,
};

/** A URL reduced to what a step compares: its shape and its numbers. */
export interface UrlShape {
  host: string;
  shape: string;
  numbers: number[];
  /** Path and query, for the growing-query test. */
  pathAndQuery: string;
  query: string;
}

const DIGITS = /\d+/g;
/** Longer runs of digits are ids or timestamps, not counters; they keep their value in the shape. */
const MAX_COUNTER_DIGITS = 9;

export function shapeOf(url: string): UrlShape | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const numbers: number[] = [];
  const pathAndQuery = `${parsed.pathname}${parsed.search}`;
  const shape = pathAndQuery.replace(DIGITS, (run) => {
    if (run.length > MAX_COUNTER_DIGITS) return run;
    numbers.push(Number(run));
    return '#';
  });
  return { host: parsed.host, shape, numbers, pathAndQuery, query: parsed.search };
}

/** Whether `to` counts on from `from`, or extends its query string. */
export function isStep(from: UrlShape, to: UrlShape): boolean {
  if (from.host !== to.host || from.pathAndQuery === to.pathAndQuery) return false;
  if (from.shape === to.shape) {
    let movedByOne = false;
    for (let i = 0; i < from.numbers.length; i++) {
      const delta = Math.abs(to.numbers[i]! - from.numbers[i]!);
      if (delta === 1) movedByOne = true;
    }
    return movedByOne;
  }
  // An ever-growing query: the same path, the page's whole query and then more.
  return (
    from.query.length > 1 &&
    to.pathAndQuery.length > from.pathAndQuery.length &&
    to.pathAndQuery.startsWith(from.pathAndQuery) &&
    /^[&;]/.test(to.pathAndQuery.slice(from.pathAndQuery.length))
  );
}

export type StepVerdict = { trap: false } | { trap: true; reason: string };

const NOT_A_TRAP: StepVerdict = { trap: false };

/** Barren-step counts per host, bounded (see the module comment). One per strategy worker and job. */
export class SequenceTraps {
  readonly #limits: SequenceTrapLimits;
  /** host → (URL → barren steps that reached it); both maps in least-recently-used order. */
  readonly #hosts = new Map<string, Map<string, number>>();

  constructor(limits: Partial<SequenceTrapLimits> = {}) {
    this.#limits = { ...DEFAULT_SEQUENCE_TRAP_LIMITS, ...limits };
  }

  /**
   * The verdict on a step link of a fetched page: `pageBroughtNew` says whether the page had
   * new links that are not steps. Remembers the link's count for when it is fetched.
   */
  step(page: UrlShape, pageBroughtNew: boolean, link: UrlShape): StepVerdict {
    const urls = this.#host(page.host);
    if (pageBroughtNew) {
      // Reached from a page with content: the link starts a chain afresh.
      urls.delete(link.pathAndQuery);
      return NOT_A_TRAP;
    }
    const count = (urls.get(page.pathAndQuery) ?? 0) + 1;
    if (count > this.#limits.maxBarrenSteps) {
      return {
        trap: true,
        reason: `trap: ${count} pages in a row counting on from one another with nothing new (${page.shape.slice(0, 80)})`,
      };
    }
    const known = urls.get(link.pathAndQuery);
    if (known === undefined || count < known) {
      urls.delete(link.pathAndQuery);
      urls.set(link.pathAndQuery, count);
      if (urls.size > this.#limits.maxUrlsPerHost) urls.delete(urls.keys().next().value!);
    }
    return NOT_A_TRAP;
  }

  /** Hosts and URLs remembered, for tests and metrics. */
  get size(): { hosts: number; urls: number } {
    let urls = 0;
    for (const host of this.#hosts.values()) urls += host.size;
    return { hosts: this.#hosts.size, urls };
  }

  #host(host: string): Map<string, number> {
    let urls = this.#hosts.get(host);
    if (urls === undefined) {
      urls = new Map();
      if (this.#hosts.size >= this.#limits.maxHosts) this.#hosts.delete(this.#hosts.keys().next().value!);
    } else {
      this.#hosts.delete(host);
    }
    this.#hosts.set(host, urls);
    return urls;
  }
}
