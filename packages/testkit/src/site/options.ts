import { TestSiteError } from './errors.ts';

/**
 * How a host answers `/robots.txt`: `'missing'` (404), `'error'` (500), `'redirect'`
 * (301 to `/robots-moved.txt`, which serves the default rules), `'hang'` (never answers),
 * or any other string, served verbatim as the body.
 */
export type RobotsMode = 'missing' | 'error' | 'redirect' | 'hang' | (string & {});

/** Options of {@link startTestSite}. Every field is optional. */
export interface TestSiteOptions {
  /** Number of hosts, each its own server on its own loopback address (127.0.0.2, 127.0.0.3, ...). Default 4. */
  hosts?: number;
  /** Pages `/p/0` .. `/p/<n-1>` on every host. Default 20. */
  pagesPerHost?: number;
  /** `Crawl-delay` written into the default robots.txt: one value for every host, or per host index. Default: no line. */
  crawlDelaySeconds?: number | Readonly<Record<number, number>>;
  /** robots.txt behaviour per host index; hosts not listed serve the default rules. Default `{}`. */
  robots?: Readonly<Record<number, RobotsMode>>;
  /** Write cross-host links with `h<i>.kraul.test` names instead of loopback addresses. Default false. */
  linkHostNames?: boolean;
  /** Milliseconds every graph page (`/p/`, `/nofollow/`, `/private/`) waits before answering, so concurrency is observable. Default 0. */
  pageDelayMs?: number;
  /** Paragraphs of prose on every graph page, about 600 bytes each: sets the page size. Default 5 (pages of about 4 KB). */
  paragraphsPerPage?: number;
  /** Extra name → IPv4 address entries answered by `site.lookup`, besides the `h<i>.kraul.test` names. Default `{}`. */
  names?: Readonly<Record<string, string>>;
  /** Seed of the session-id counter behind `/session/`. Default 1. */
  sessionSeed?: number;
  /**
   * Serve every host from one server on this address and port, telling hosts apart by the
   * Host header (`h<i>.kraul.test`), as a site behind several DNS names does. Links are
   * then written with host names. For a site in a container reached under several
   * network aliases. Default: one server per host on its own loopback address.
   */
  virtualHosts?: { address: string; port: number };
}

export interface ResolvedSiteOptions {
  hosts: number;
  pagesPerHost: number;
  crawlDelaySeconds: number | Readonly<Record<number, number>> | undefined;
  robots: Readonly<Record<number, RobotsMode>>;
  linkHostNames: boolean;
  pageDelayMs: number;
  paragraphsPerPage: number;
  names: Readonly<Record<string, string>>;
  sessionSeed: number;
  virtualHosts: { address: string; port: number } | undefined;
}

/** Addresses 127.0.0.2 upward stay inside 127.0.0.0/8 well below this many hosts. */
const MAX_HOSTS = 60_000;

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TestSiteError(`${name} must be an integer in [1, ${max}]`, { option: name, value });
  }
  return value;
}

export function resolveSiteOptions(options: TestSiteOptions = {}): ResolvedSiteOptions {
  const pageDelayMs = options.pageDelayMs ?? 0;
  if (!Number.isFinite(pageDelayMs) || pageDelayMs < 0) {
    throw new TestSiteError('pageDelayMs must be a non-negative number', {
      option: 'pageDelayMs',
      value: pageDelayMs,
    });
  }
  return {
    hosts: positiveInteger('hosts', options.hosts ?? 4, MAX_HOSTS),
    pagesPerHost: positiveInteger('pagesPerHost', options.pagesPerHost ?? 20, 1_000_000),
    crawlDelaySeconds: options.crawlDelaySeconds,
    robots: options.robots ?? {},
    linkHostNames: (options.linkHostNames ?? false) || options.virtualHosts !== undefined,
    pageDelayMs,
    paragraphsPerPage: positiveInteger('paragraphsPerPage', options.paragraphsPerPage ?? 5, 1_000),
    names: options.names ?? {},
    sessionSeed: options.sessionSeed ?? 1,
    virtualHosts: options.virtualHosts,
  };
}

/** The Crawl-delay configured for one host, if any. */
export function crawlDelayOf(options: ResolvedSiteOptions, host: number): number | undefined {
  const delay = options.crawlDelaySeconds;
  return typeof delay === 'number' ? delay : delay?.[host];
}
