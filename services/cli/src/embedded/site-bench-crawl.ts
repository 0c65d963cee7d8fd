import type { FrontierWorkerOptions } from '@kraul/frontier';
import { createLogger, createMetricsRegistry } from '@kraul/telemetry';
import { scopePattern } from '@kraul/testkit/site-process';
import { buildJob } from '../job-options.ts';
import { EmbeddedCrawl } from './engine.ts';

export interface SiteBenchCrawlOptions {
  /** The job's seed (also what `start()` is given). */
  seed: string;
  /** The origins of the local site: the crawl's scope. */
  origins: readonly string[];
  /** The site's loopback addresses, allowed past the address safety check. */
  addresses: readonly string[];
  /** Fetches at once over all hosts. */
  concurrency: number;
  concurrencyPerHost: number;
  /** Partitions of the in-process topics. */
  partitions: number;
  /** Folder of the frontier's sqlite files. */
  dataDir: string;
  /** 'auto' on a terminal (`kraul bench`), 'json' where a harness reads the output. */
  logFormat: 'auto' | 'json';
  /** The frontier's feed window, for diagnostics: kraul's adaptive window when left out. */
  feed?: FrontierWorkerOptions['feed'];
}

/**
 * A `kraul run`-style crawl of a local benchmark site: the job built from the flags the
 * command line takes (no delay, the site's origins in scope), every role on the in-memory
 * bus, the frontier fed every 100 ms as `kraul run` feeds it. What `kraul bench` and
 * `npm run bench` both measure.
 */
export function siteBenchCrawl(options: SiteBenchCrawlOptions): EmbeddedCrawl {
  const job = buildJob({
    id: 'bench',
    seeds: [options.seed],
    seedSource: '<url>',
    options: {
      delay: '0',
      concurrencyPerHost: String(options.concurrencyPerHost),
      scope: 'any',
      allow: [scopePattern(options.origins)],
      maxDepth: '10000',
      allowAddress: [...options.addresses],
    },
  });
  return new EmbeddedCrawl({
    job,
    dataDir: options.dataDir,
    log: createLogger({ name: 'kraul', level: 'warn', format: options.logFormat }),
    metrics: createMetricsRegistry(),
    partitions: options.partitions,
    crawler: {
      userAgent: 'kraul-bench/0.1 (+https://github.com/kraul-crawler/kraul)',
      concurrency: options.concurrency,
    },
    frontier: {
      retry: { baseMs: 5_000, maxMs: 60_000 },
      feedIntervalMs: 100,
      ...(options.feed === undefined ? {} : { feed: options.feed }),
    },
  });
}
