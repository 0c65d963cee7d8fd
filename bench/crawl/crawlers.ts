import type { Contenders } from '../contenders/install.ts';
import { integer } from '../report/format.ts';
import type { CrawlEngine, CrawlResult } from './crawl-protocol.ts';
import type { CrawlRequests } from './verify-crawl.ts';

/** One crawler the bench measures. */
export interface Crawler {
  /** Key of its samples. */
  id: string;
  label: string;
  engine: CrawlEngine;
  /** A fixed feed window per todo partition (kraul only). Default: the frontier's adaptive window. */
  fixedWindow?: number;
  /** Installed apart from the workspace by the bench (bench/contenders/install.ts). */
  contender?: ContenderName;
  /**
   * False for a crawler without a per-host concurrency limit: it runs once per round, at the
   * first per-host setting, bound by the global concurrency alone. Default true.
   */
  perHostLimit?: boolean;
}

/** The diagnostic row's fixed window: the old feed's bound of 64 requests out per partition. */
const FIXED_WINDOW = 64;

/** The crawlers in the order of the report's rows; `kraul` and `raw` must stay (ratios and bus traffic). */
export const CRAWLERS: readonly Crawler[] = [
  { id: 'kraul', label: 'kraul embedded, as `kraul run` builds it', engine: 'kraul' },
  { id: 'raw', label: 'raw loop: undici + htmlparser2 + a Set', engine: 'raw' },
  {
    id: 'kraul-fixed',
    label: `kraul embedded, feed window fixed at ${integer(FIXED_WINDOW)} (diagnostic)`,
    engine: 'kraul',
    fixedWindow: FIXED_WINDOW,
  },
  {
    id: 'crawlee',
    label: 'Crawlee CheerioCrawler (no per-host limit)',
    engine: 'crawlee',
    contender: 'crawlee',
    perHostLimit: false,
  },
  { id: 'scrapy', label: 'Scrapy', engine: 'scrapy', contender: 'scrapy' },
];

export type ContenderName = keyof Contenders;

/** Whether the crawler runs at this per-host concurrency (see `Crawler.perHostLimit`). */
export function runsAt(crawler: Crawler, perHost: number, options: CrawlBenchOptions): boolean {
  return crawler.perHostLimit !== false || perHost === options.perHost[0];
}

/** One crawl, measured and checked. */
export interface Sample {
  result: CrawlResult;
  pagesPerSecond: number;
  /** When the rate over the last 5% of the pages first reached 90% of the steady rate. */
  rampMs: number;
  siteCpuMicros: number;
  requests: CrawlRequests;
}

/** Samples by crawler id, then by per-host concurrency, one per round. */
export type Samples = Map<string, Map<number, Sample[]>>;

/** What the crawl section measures: the site, the rounds and the crawls' settings. */
export interface CrawlBenchOptions {
  hosts: number;
  pagesPerHost: number;
  /** Paragraphs of prose per page: sets the page size (about 600 bytes each, see `TestSiteOptions`). */
  paragraphsPerPage: number;
  /** Rounds; every round runs every crawler at every per-host concurrency once. */
  rounds: number;
  /** Per-host concurrencies, each measured separately. */
  perHost: readonly number[];
  /** Fetches at once over all hosts. */
  concurrency: number;
  /** Partitions of kraul's embedded bus (`kraul run` uses 4). */
  partitions: number;
  /** A crawl not over after this long fails the bench. */
  timeoutMs: number;
  /** Receives a line per crawl, for the terminal. */
  progress: (line: string) => void;
}
