/** Which crawler a crawl process runs. */
export type CrawlEngine = 'kraul' | 'raw' | 'crawlee' | 'scrapy';

/** What a crawl process is told (serialised on its command line). */
export interface CrawlPlan {
  engine: CrawlEngine;
  /** The page every crawl starts from. */
  seed: string;
  /** `http://<address>:<port>` of every host of the site: the crawl's scope. */
  origins: string[];
  /** Their loopback addresses, allowed although private. */
  addresses: string[];
  /** Pages a correct crawl fetches (sitemaps not counted); kraul's crawl is over once this many are done and it is idle. */
  expectedPages: number;
  concurrencyPerHost: number;
  concurrency: number;
  /** Partitions of the embedded bus (kraul only). */
  partitions: number;
  /** A fixed feed window per todo partition (kraul only). Default: the frontier's adaptive window. */
  fixedWindow?: number;
  /** A crawl not finished after this long fails the bench. */
  timeoutMs: number;
  /** Contenders only: the installed `crawlee` entry, or the Python that has Scrapy (bench/contenders/install.ts). */
  contender?: string;
}

/** Records and value bytes one topic received during a crawl. */
export interface TopicTraffic {
  topic: string;
  /** Log end offsets summed over the topic's partitions. */
  records: number;
  /** Records acknowledged to producers (must equal `records`). */
  acknowledged: number;
  /** Sum of the acknowledged records' value sizes. */
  valueBytes: number;
}

/** What a crawl process reports when its crawl is over. */
export interface CrawlResult {
  engine: CrawlEngine;
  /** Documents fetched besides robots.txt: pages and sitemaps (kraul: the frontier's `done` count). */
  documents: number;
  /** From the first call to the moment the last expected page was recorded. */
  wallMs: number;
  /** When the last document was recorded, from the same start as `wallMs`; the rest is the crawl winding down. */
  lastDocumentMs: number;
  /** Documents recorded by a moment (ms from the same start): one sample per document, or per poll (kraul). */
  progress: [ms: number, documents: number][];
  /** kraul only: the part of `wallMs` spent starting (topics, job, shards, consumer groups). */
  startMs?: number;
  /** User + system CPU time of the crawl process over `wallMs`. */
  cpuMicros: number;
  /** Peak resident set size of the crawl process. */
  maxRssBytes: number;
  /** kraul only: the frontier's final counts. */
  counts?: Record<string, number>;
  /** kraul only: traffic per topic of the embedded bus. */
  traffic?: TopicTraffic[];
}

export type CrawlMessage = { type: 'result'; result: CrawlResult } | { type: 'error'; error: string };
