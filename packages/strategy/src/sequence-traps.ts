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

const DIGITS = /\d+/g;
/** Longer runs of digits are ids or timestamps, not counters: they must match as they are. */
const MAX_COUNTER_DIGITS = 9;

/** The length of `scheme://host[:port]` of an absolute URL, or -1 when it has none. */
export function originLength(url: string): number {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return -1;
  let end = schemeEnd + 3;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end += 1;
  }
  return end;
}

/** `/cal/#?d=#`: the path and query with every counter replaced, for a trap's reason. */
export function shapeOf(url: string): string {
  const start = originLength(url);
  return url
    .slice(Math.max(start, 0))
    .replace(DIGITS, (run) => (run.length > MAX_COUNTER_DIGITS ? run : '#'));
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Whether `link` counts on from `page`: the same origin, the same characters but for runs of
 * digits, and at least one of those moved by exactly one; or the page's URL with query parameters
 * appended. One pass over both strings, no allocation: it runs for every link of every page.
 * `origin` is `originLength(page)`.
 */
export function isStep(page: string, link: string, origin = originLength(page)): boolean {
  if (origin < 0 || page === link || link.length <= origin) return false;
  // The origin must match exactly: a digit in a host name (ext1, ext2) is no counter.
  if (!link.startsWith(page.slice(0, origin)) || link.charCodeAt(origin) !== page.charCodeAt(origin))
    return false;
  let i = origin;
  let j = origin;
  let movedByOne = false;
  while (i < page.length && j < link.length) {
    const a = page.charCodeAt(i);
    const b = link.charCodeAt(j);
    if (isDigit(a) && isDigit(b)) {
      const runA = i;
      const runB = j;
      let x = 0;
      let y = 0;
      while (i < page.length && isDigit(page.charCodeAt(i))) x = x * 10 + page.charCodeAt(i++) - 48;
      while (j < link.length && isDigit(link.charCodeAt(j))) y = y * 10 + link.charCodeAt(j++) - 48;
      const long = i - runA > MAX_COUNTER_DIGITS || j - runB > MAX_COUNTER_DIGITS;
      if (long) {
        if (page.slice(runA, i) !== link.slice(runB, j)) return false;
      } else if (Math.abs(x - y) === 1) movedByOne = true;
      // Other counters may move as they like: a month wraps to 12 when its year counts down.
      continue;
    }
    if (a !== b) return false;
    i += 1;
    j += 1;
  }
  if (i === page.length && j === link.length) return movedByOne;
  // An ever-growing query: the page's whole URL, with a query, and then more parameters.
  if (i !== page.length || movedByOne || page.indexOf('?', origin) < 0) return false;
  const next = link.charCodeAt(j);
  return next === 38 /* & */ || next === 59 /* ; */;
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
   * The verdict on a step link of a fetched page (`isStep(page, link)`): `pageBroughtNew` says
   * whether the page had new links that are not steps. Remembers the link's count for when
   * it is fetched. `host` is the page's (and so the link's) host or origin.
   */
  step(host: string, page: string, pageBroughtNew: boolean, link: string): StepVerdict {
    const urls = this.#host(host);
    if (pageBroughtNew) {
      // Reached from a page with content: the link starts a chain afresh.
      urls.delete(link);
      return NOT_A_TRAP;
    }
    const count = (urls.get(page) ?? 0) + 1;
    if (count > this.#limits.maxBarrenSteps) {
      return {
        trap: true,
        reason: `trap: ${count} pages in a row counting on from one another with nothing new (${shapeOf(page).slice(0, 80)})`,
      };
    }
    const known = urls.get(link);
    if (known === undefined || count < known) {
      urls.delete(link);
      urls.set(link, count);
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
