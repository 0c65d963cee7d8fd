import { availableParallelism } from 'node:os';
import { startSiteProcess } from '@kraul/testkit/site-process';
import { decimal, integer, table, times } from '../report/format.ts';
import { maximum, median, minimum } from '../report/stats.ts';
import { type CrawlerShare, checkedKafkaCrawl } from './kafka-crawl.ts';
import { type CrawlRates, crawlRates, STEADY_FROM, STEADY_TO } from './rates.ts';

export interface ScaleBenchOptions {
  brokers: string[];
  hosts: number;
  pagesPerHost: number;
  /** Milliseconds each page takes the site to answer: what makes one crawler's concurrency the limit. */
  pageDelayMs: number;
  rounds: number;
  /** Crawler processes of each crawl; the first is the baseline of the ratios. */
  crawlers: readonly number[];
  partitions: number;
  /** Fetches at once per crawler process. */
  concurrency: number;
  timeoutMs: number;
  progress: (line: string) => void;
}

/** The window over which the rate reached at a moment is taken (time to 90% of the steady rate). */
const RATE_WINDOW = { ms: 1_000 };

interface ScaleSample extends CrawlRates {
  shares: CrawlerShare[];
  /** CPU of the roles and the broker per page, ms. */
  cpuMsPerPage: number;
  /** CPU of every process of the crawl (roles, broker, site) over the machine's capacity meanwhile. */
  machineShare: number;
}

/**
 * The most a crawl with these shares can gain over one crawler if each crawler works at one
 * crawler's pace: all requests over the busiest crawler's. Hosts go to partitions by the hash
 * of their name and partitions to crawlers whole, so the shares are rarely equal.
 */
function shareBound(shares: readonly CrawlerShare[]): number {
  const total = shares.reduce((sum, share) => sum + share.requests, 0);
  const busiest = Math.max(...shares.map((share) => share.requests));
  return busiest > 0 ? total / busiest : 1;
}

/**
 * Scale-out through a real broker on a site whose pages take time to answer, so one crawler's
 * concurrency is the limit and the site allows far more: N crawlers should fetch about N×.
 */
export async function benchScale(options: ScaleBenchOptions): Promise<string> {
  const site = await startSiteProcess({
    hosts: options.hosts,
    pagesPerHost: options.pagesPerHost,
    pageDelayMs: options.pageDelayMs,
  });
  const samples = new Map<number, ScaleSample[]>(options.crawlers.map((n) => [n, []]));
  const expected = new Set(site.expected);
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const crawlers of options.crawlers) {
        await site.mark();
        const label = `round ${round + 1}, latency-bound site, ${crawlers} crawler process(es)`;
        const result = await checkedKafkaCrawl(site, options, crawlers, label);
        const crawlCpuMicros = result.cpuMicros + (result.brokerCpuMicros ?? 0);
        const sample = {
          ...crawlRates(result, expected.size, RATE_WINDOW),
          shares: result.crawlerShares ?? [],
          cpuMsPerPage: crawlCpuMicros / 1_000 / expected.size,
          machineShare:
            (crawlCpuMicros + result.siteCpuMicros) / 1_000 / (result.wallMs * availableParallelism()),
        };
        samples.get(crawlers)!.push(sample);
        options.progress(
          `crawl ${label}: ${integer(sample.pagesPerSecond)} pages/s, steady ${integer(sample.steadyPagesPerSecond)}, ` +
            `hosts per crawler ${hostsPerCrawler(sample.shares)}, ${decimal(sample.cpuMsPerPage, 2)} CPU ms/page, ` +
            `${integer(sample.machineShare * 100)}% of the machine's CPU`,
        );
      }
    }
  } finally {
    await site.close();
  }
  return describe(options, expected.size, samples);
}

/** Hosts each crawler process served, busiest first ("9/8/7"). */
function hostsPerCrawler(shares: readonly CrawlerShare[]): string {
  return shares
    .map((share) => share.hosts)
    .sort((a, b) => b - a)
    .join('/');
}

function describe(options: ScaleBenchOptions, pages: number, samples: Map<number, ScaleSample[]>): string {
  const baseline = samples.get(options.crawlers[0]!)!;
  const baseRate = median(baseline.map((sample) => sample.pagesPerSecond));
  const baseSteady = median(baseline.map((sample) => sample.steadyPagesPerSecond));
  const oneCrawlerLimit = (options.concurrency * 1_000) / options.pageDelayMs;
  const rows = [...samples].map(([crawlers, list]) => {
    const whole = list.map((sample) => sample.pagesPerSecond);
    const steady = list.map((sample) => sample.steadyPagesPerSecond);
    return [
      String(crawlers),
      integer(median(whole)),
      `${integer(minimum(whole))}–${integer(maximum(whole))}`,
      times(median(whole) / baseRate),
      integer(median(steady)),
      times(median(steady) / baseSteady),
      integer(crawlers * oneCrawlerLimit),
      list.map((sample) => hostsPerCrawler(sample.shares)).join(', '),
      times(median(list.map((sample) => shareBound(sample.shares)))),
      decimal(median(list.map((sample) => sample.rampMs)) / 1_000, 1),
      decimal(median(list.map((sample) => sample.cpuMsPerPage)), 2),
      `${integer(median(list.map((sample) => sample.machineShare * 100)))}%`,
    ];
  });
  return [
    '## Scale-out on a latency-bound site',
    '',
    `Command: \`node bench/run.ts\` (this section; needs the broker at ${options.brokers.join(', ')}). ` +
      `${options.hosts} hosts × ${options.pagesPerHost} pages (${integer(pages)} pages), every page answered after ` +
      `${options.pageDelayMs} ms; crawlers at \`--concurrency ${options.concurrency}\` and per-host concurrency 1, so ` +
      `one crawler can fetch at most ~${integer(oneCrawlerLimit)} pages/s and the site allows ` +
      `${integer((options.hosts * 1_000) / options.pageDelayMs)}. Roles as in the section above, on ` +
      `${options.partitions} todo partitions; ${options.rounds} round${options.rounds === 1 ? '' : 's'}, median. ` +
      `"Steady" is the rate between ${STEADY_FROM * 100}% and ${STEADY_TO * 100}% of the pages, while every crawler ` +
      'still has hosts with pages due; the whole-crawl rate also holds the start and the tail. The start: the ' +
      "site's hosts link only to their neighbours in a ring (page n of host h to hosts h ± 1), so the last host " +
      `is found ${Math.ceil((options.hosts - 1) / 2)} hops from the seed, each hop a robots.txt and a page of ` +
      `${options.pageDelayMs} ms and a pass through the topics: until then not every crawler has hosts, and that ` +
      'start weighs N times as much in a crawl N times as short. The tail: a crawler owns whole partitions, ' +
      'so the crawl ends with the busiest one. The frontier spreads the hosts evenly over the todo partitions ' +
      '(host placement, docs/architecture.md), so crawlers whose number divides the partition count hold equal ' +
      "shares (each round's split is in the table, from the User-Agent each crawler process sends); by the hash " +
      'of their names, the same hosts split 9/8/7 over three crawlers. "÷ 1 crawler the shares allow" is all ' +
      "requests over the busiest crawler's: the gain if every crawler worked at one crawler's pace. Within a " +
      'crawler, the hosts furthest from done are served first, so its hosts end together rather than the ones ' +
      'found last ending alone. "Ramp" is when the rate over the last second first reached 90% of the steady ' +
      'rate. "CPU ms/page" is the roles\' and the broker\'s CPU time per page; "machine CPU" is the CPU time of ' +
      "every process of the crawl, the site's included, over all cores for the crawl's duration. At a few " +
      'pages per partition per second most records travel alone, so the per-request costs of the Kafka client ' +
      'and the broker are paid per page (several times the cost per page of the crawl above), and the crawlers ' +
      'added run short of CPU before they run short of hosts.',
    '',
    table(
      [
        'crawler processes',
        'pages/s, whole crawl',
        'range',
        '÷ 1 crawler',
        'pages/s, steady',
        '÷ 1 crawler, steady',
        'concurrency limit, pages/s',
        'hosts per crawler, each round',
        '÷ 1 crawler the shares allow',
        'ramp (s)',
        'CPU ms/page',
        'machine CPU',
      ],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
    ),
  ].join('\n');
}
