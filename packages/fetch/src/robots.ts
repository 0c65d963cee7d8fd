import { FetchError } from './errors.ts';
import type { HttpFetcher } from './fetcher.ts';
import type { FetchResponse } from './options.ts';
import { httpUrl } from './redirects.ts';
import { ALLOW_ALL, DISALLOW_ALL, parsedRules, type RobotsRules } from './robots-rules.ts';

export interface RobotsCacheOptions {
  /** robots.txt goes through the crawler's own fetcher, so the same address and size rules apply. */
  fetcher: HttpFetcher;
  /** Product token matched against User-agent lines (not the full User-Agent header). Default: `kraul`. */
  userAgentToken?: string;
  /** How long fetched or missing (4xx) rules are kept. Default: 24 h. */
  ttlMs?: number;
  /** How long the disallow-all of an unreachable robots.txt (5xx, 429, network) lasts before a retry. Default: 10 min. */
  errorTtlMs?: number;
  /** Origins kept; the least recently used go first. Default: 10 000. */
  maxOrigins?: number;
  /** Bytes of robots.txt parsed; RFC 9309 asks for at least 500 KiB. Default: 500 KiB. */
  maxBytes?: number;
  /** Redirects followed to reach robots.txt (RFC 9309: at least five). Default: 5. */
  maxRedirects?: number;
  /** Clock for expiry, in epoch milliseconds. Default: `Date.now`. */
  clock?: () => number;
}

interface Entry {
  rules: RobotsRules | undefined;
  pending: Promise<RobotsRules> | undefined;
  expiresAt: number;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * robots.txt rules per origin (RFC 9309), fetched once per origin and shared by concurrent
 * callers: 2xx is parsed, 4xx allows everything, 5xx, 429 and network failures disallow
 * everything until `errorTtlMs` has passed.
 */
export class RobotsCache {
  readonly #fetcher: HttpFetcher;
  readonly #token: string;
  readonly #ttlMs: number;
  readonly #errorTtlMs: number;
  readonly #maxOrigins: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #clock: () => number;
  // A Map iterates in insertion order; re-inserting on use makes the first key the least recently used.
  readonly #entries = new Map<string, Entry>();

  constructor(options: RobotsCacheOptions) {
    this.#fetcher = options.fetcher;
    this.#token = options.userAgentToken ?? 'kraul';
    this.#ttlMs = options.ttlMs ?? 24 * HOUR_MS;
    this.#errorTtlMs = options.errorTtlMs ?? 10 * 60 * 1000;
    this.#maxOrigins = options.maxOrigins ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 500 * 1024;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#clock = options.clock ?? Date.now;
  }

  /** Origins currently cached (in flight included). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Whether rules for the origin are cached and unexpired, so `get` answers without a request.
   * A crawler asks this to fetch robots.txt as a request of its own, in the host's politeness slot.
   */
  isFresh(origin: string): boolean {
    let key: string;
    try {
      key = httpUrl(origin, origin).origin;
    } catch {
      return false;
    }
    const cached = this.#entries.get(key);
    return cached !== undefined && cached.pending === undefined && cached.expiresAt > this.#clock();
  }

  /** When the cached rules of an origin expire (and are fetched again), or undefined when none are cached. */
  expiresAt(origin: string): number | undefined {
    let key: string;
    try {
      key = httpUrl(origin, origin).origin;
    } catch {
      return undefined;
    }
    const cached = this.#entries.get(key);
    return cached === undefined || cached.pending !== undefined ? undefined : cached.expiresAt;
  }

  /** The rules for an origin (`https://example.com`), or for the origin of any URL given. */
  get(origin: string): Promise<RobotsRules> {
    let key: string;
    try {
      key = httpUrl(origin, origin).origin;
    } catch (error) {
      return Promise.reject(error);
    }
    const cached = this.#entries.get(key);
    if (cached !== undefined && (cached.pending !== undefined || cached.expiresAt > this.#clock())) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached.pending ?? Promise.resolve(cached.rules ?? DISALLOW_ALL);
    }
    const entry: Entry = { rules: undefined, pending: undefined, expiresAt: 0 };
    entry.pending = this.#load(key).then(({ rules, ttlMs }) => {
      entry.rules = rules;
      entry.expiresAt = this.#clock() + ttlMs;
      entry.pending = undefined;
      return rules;
    });
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxOrigins) break;
      this.#entries.delete(oldest);
    }
    return entry.pending;
  }

  async #load(origin: string): Promise<{ rules: RobotsRules; ttlMs: number }> {
    const robotsUrl = `${origin}/robots.txt`;
    try {
      const response = await this.#fetcher.fetch(robotsUrl, {
        maxRedirects: this.#maxRedirects,
        // The site's robots.txt may redirect elsewhere; job scope does not apply to it.
        checkRedirect: () => {},
        acceptContentTypes: ['*/*'],
        bodyFor: () => true,
        maxDecodedBytes: this.#maxBytes,
        oversize: 'truncate',
      });
      return this.#fromResponse(robotsUrl, response);
    } catch (error) {
      // RFC 9309 §2.3.1.2: a robots.txt not reached within the redirects allowed is unavailable.
      if (error instanceof FetchError && ['too_many_redirects', 'redirect_loop'].includes(error.errorClass)) {
        return { rules: ALLOW_ALL, ttlMs: this.#ttlMs };
      }
      return { rules: DISALLOW_ALL, ttlMs: this.#errorTtlMs };
    }
  }

  #fromResponse(robotsUrl: string, response: FetchResponse): { rules: RobotsRules; ttlMs: number } {
    const { status } = response;
    if (status >= 200 && status < 300) {
      let text = new TextDecoder('utf-8').decode(response.body);
      // A line cut at the size limit could say less than it meant ("Disallow: /a" of "/admin").
      if (response.truncated) text = text.slice(0, text.lastIndexOf('\n') + 1);
      // Rules are about the origin asked for, wherever its robots.txt was redirected.
      return { rules: parsedRules(robotsUrl, text, this.#token), ttlMs: this.#ttlMs };
    }
    // 429 asks to slow down: treating it as "no robots.txt" would do the opposite.
    if (status >= 500 || status === 429) return { rules: DISALLOW_ALL, ttlMs: this.#errorTtlMs };
    return { rules: ALLOW_ALL, ttlMs: this.#ttlMs };
  }
}
