import { type SiteProcess, startSiteProcess } from '@kraul/testkit/site-process';
import { decimal, integer } from '../report/format.ts';
import { runCrawlProcess } from './crawl-client.ts';
import { describeCrawlBench } from './crawl-report.ts';
import { CRAWLERS, type CrawlBenchOptions, type Samples } from './crawlers.ts';

export type { CrawlBenchOptions };

import { verifyCrawl } from './verify-crawl.ts';

/** Runs the crawl benchmark and returns its section of the report. */
export async function benchCrawl(options: CrawlBenchOptions): Promise<string> {
  const site = await startSiteProcess({ hosts: options.hosts, pagesPerHost: options.pagesPerHost });
  try {
    const samples = await measure(site, options);
    return describeCrawlBench(site, options, samples);
  } finally {
    await site.close();
  }
}

async function measure(site: SiteProcess, options: CrawlBenchOptions): Promise<Samples> {
  const expected = new Set(site.expected);
  const samples: Samples = new Map(CRAWLERS.map((crawler) => [crawler.id, new Map()]));
  for (let round = 0; round < options.rounds; round++) {
    for (const perHost of options.perHost) {
      // Each round starts with another crawler, so drift in the machine's load hits all alike.
      const order = CRAWLERS.map((_, index) => CRAWLERS[(index + round) % CRAWLERS.length]!);
      for (const crawler of order) {
        await site.mark();
        const result = await runCrawlProcess({
          engine: crawler.engine,
          seed: `${site.origins[0]}/p/0`,
          origins: site.origins,
          addresses: site.addresses,
          expectedPages: expected.size,
          concurrencyPerHost: perHost,
          concurrency: options.concurrency,
          partitions: options.partitions,
          ...(crawler.fixedWindow === undefined ? {} : { fixedWindow: crawler.fixedWindow }),
          timeoutMs: options.timeoutMs,
        });
        const log = await site.log();
        const label = `round ${round + 1}, ${crawler.label}, per-host concurrency ${perHost}`;
        const requests = verifyCrawl(label, result, log, expected);
        const pagesPerSecond = (expected.size * 1_000) / result.wallMs;
        const byPerHost = samples.get(crawler.id)!;
        byPerHost.set(perHost, [
          ...(byPerHost.get(perHost) ?? []),
          { result, pagesPerSecond, siteCpuMicros: log.cpuMicros, requests },
        ]);
        options.progress(
          `crawl ${label}: ${integer(pagesPerSecond)} pages/s, ` +
            `${decimal(result.cpuMicros / 1_000 / expected.size, 2)} CPU ms/page`,
        );
      }
    }
  }
  return samples;
}
