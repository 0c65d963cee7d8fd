import { integer } from '../report/format.ts';
import type { CrawlEngine, CrawlResult } from './crawl-protocol.ts';
import type { CrawlRequests } from './verify-crawl.ts';

/** One crawler the bench measures. */
export interface Crawler {
  /** Key of its samples. */
  id: string;
  label: string;
  engine: CrawlEngine;
  /** The frontier's low-water mark (kraul only). Default: the frontier's own. */
  lowWaterMark?: number;
}

/** The raised low-water mark of the diagnostic row: high enough that flow control never waits. */
const OPEN_LOW_WATER_MARK = 1_024;

/** The crawlers in the order of the report's rows; `kraul` and `raw` must stay (ratios and bus traffic). */
export const CRAWLERS: readonly Crawler[] = [
  { id: 'kraul', label: 'kraul embedded, as `kraul run` builds it', engine: 'kraul' },
  { id: 'raw', label: 'raw loop: undici + htmlparser2 + a Set', engine: 'raw' },
  {
    id: 'kraul-open',
    label: `kraul embedded, frontier lowWaterMark ${integer(OPEN_LOW_WATER_MARK)} (diagnostic)`,
    engine: 'kraul',
    lowWaterMark: OPEN_LOW_WATER_MARK,
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
