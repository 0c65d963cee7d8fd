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
];

/** One crawl, measured and checked. */
export interface Sample {
  result: CrawlResult;
  pagesPerSecond: number;
  siteCpuMicros: number;
  requests: CrawlRequests;
}

/** Samples by crawler id, then by per-host concurrency, one per round. */
export type Samples = Map<string, Map<number, Sample[]>>;
