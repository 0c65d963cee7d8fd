import type { TestSiteOptions } from '../site/index.ts';

/** What the site process reports once it listens. */
export interface SiteReady {
  type: 'ready';
  /** `http://<address>:<port>` of each host, by index. */
  origins: string[];
  /** The loopback address of each host, by index. */
  addresses: string[];
  /** URLs a correct crawl seeded with `/p/0` of host 0 fetches (robots.txt obeyed). */
  expected: string[];
}

/** Requests the orchestrator sends to the site process; each gets one {@link SiteAnswer}. */
export type SiteCommand =
  | { id: number; op: 'mark' }
  | { id: number; op: 'log' }
  | { id: number; op: 'close' };

/** The site's request log since the last `mark`, boiled down to what the bench checks. */
export interface SiteLogSummary {
  /** Requests per URL (origin + path with query). */
  countByUrl: [url: string, count: number][];
  /** Requests that got no 2xx answer or were aborted, with their status. */
  unsuccessful: { url: string; status: number | undefined; aborted: boolean }[];
  /** CPU microseconds the site process spent since the last `mark`. */
  cpuMicros: number;
  /** Requests per User-Agent and host: which crawler process served which host, when each names itself. */
  byAgent: [userAgent: string, requestsPerHost: number[]][];
}

export type SiteAnswer =
  | { id: number; ok: true; log?: SiteLogSummary }
  | { id: number; ok: false; error: string };

/** Options the site process is started with (serialised on its command line). */
export type SiteProcessOptions = Pick<
  TestSiteOptions,
  'hosts' | 'pagesPerHost' | 'pageDelayMs' | 'paragraphsPerPage'
>;
