import { type SiteProcess, startSiteProcess } from '@kraul/testkit/site-process';
import { type Contenders, installContenders } from '../contenders/install.ts';
import { decimal, integer } from '../report/format.ts';
import { runCrawlProcess } from './crawl-client.ts';
import { describeCrawlBench, type PageShape } from './crawl-report.ts';
import { CRAWLERS, type CrawlBenchOptions, runsAt, type Samples } from './crawlers.ts';
import { crawlRates } from './rates.ts';
import { verifyCrawl } from './verify-crawl.ts';

export type { CrawlBenchOptions };

/** The share of the pages over which the rate reached at a moment is taken (time to 90% of the steady rate). */
const RAMP_WINDOW_SHARE = 0.05;

/** Runs the crawl benchmark and returns its section of the report. */
export async function benchCrawl(options: CrawlBenchOptions): Promise<string> {
  const contenders = await installContenders(options.progress);
  const site = await startSiteProcess({
    hosts: options.hosts,
    pagesPerHost: options.pagesPerHost,
    paragraphsPerPage: options.paragraphsPerPage,
  });
  try {
    const page = await pageShape(site);
    const samples = await measure(site, options, contenders);
    return describeCrawlBench(site, options, samples, contenders, page);
  } finally {
    await site.close();
  }
}

/** One page of the site as served (the report states the page size); the request log is reset before each crawl. */
async function pageShape(site: SiteProcess): Promise<PageShape> {
  const html = await (await fetch(`${site.origins[0]}/p/1`)).text();
  return { bytes: Buffer.byteLength(html), links: html.match(/<(a|area)\s[^>]*href=/g)?.length ?? 0 };
}

async function measure(
  site: SiteProcess,
  options: CrawlBenchOptions,
  contenders: Contenders,
): Promise<Samples> {
  const expected = new Set(site.expected);
  // A contender that could not be installed is left out; the report gives the reason.
  const crawlers = CRAWLERS.filter((crawler) => !crawler.contender || contenders[crawler.contender].ok);
  const samples: Samples = new Map(crawlers.map((crawler) => [crawler.id, new Map()]));
  for (let round = 0; round < options.rounds; round++) {
    for (const perHost of options.perHost) {
      // Each round starts with another crawler, so drift in the machine's load hits all alike.
      const order = crawlers.map((_, index) => crawlers[(index + round) % crawlers.length]!);
      for (const crawler of order) {
        if (!runsAt(crawler, perHost, options)) continue;
        const installed = crawler.contender ? contenders[crawler.contender] : undefined;
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
          ...(installed?.ok ? { contender: installed.path } : {}),
        });
        const log = await site.log();
        const label = `round ${round + 1}, ${crawler.label}, per-host concurrency ${perHost}`;
        const requests = verifyCrawl(label, result, log, expected);
        const pagesPerSecond = (expected.size * 1_000) / result.wallMs;
        const { rampMs } = crawlRates(result, expected.size, { pages: expected.size * RAMP_WINDOW_SHARE });
        const byPerHost = samples.get(crawler.id)!;
        byPerHost.set(perHost, [
          ...(byPerHost.get(perHost) ?? []),
          { result, pagesPerSecond, rampMs, siteCpuMicros: log.cpuMicros, requests },
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
