import type { SiteProcess } from '@kraul/testkit/site-process';
import { type Contenders, CRAWLEE_VERSION, type Installed, SCRAPY_VERSION } from '../contenders/install.ts';
import { decimal, integer, mebibytes, table, times } from '../report/format.ts';
import { maximum, median, minimum } from '../report/stats.ts';
import { type BusGoals, busGoals } from './bus-goals.ts';
import type { TopicTraffic } from './crawl-protocol.ts';
import { CRAWLERS, type CrawlBenchOptions, type Samples } from './crawlers.ts';

/** Size and links of one page of the site, as served. */
export interface PageShape {
  bytes: number;
  links: number;
}

/** The crawl section of the report: throughput, the checks, and kraul's bus traffic. */
export function describeCrawlBench(
  site: SiteProcess,
  options: CrawlBenchOptions,
  samples: Samples,
  contenders: Contenders,
  page: PageShape,
): string {
  const pages = site.expected.length;
  const allSamples = [...samples.values()].flatMap((byPerHost) => [...byPerHost.values()].flat());
  const crawls = allSamples.length;
  const robots = new Set(allSamples.map((sample) => sample.requests.robots));
  const sitemaps = new Set(allSamples.map((sample) => sample.requests.sitemaps));
  return [
    '## Crawl throughput on the synthetic site',
    '',
    `Command: \`node bench/run.ts\` (this section). The site: ${options.hosts} hosts × ${options.pagesPerHost} pages ` +
      `of about ${integer(page.bytes / 1_024)} KB (${options.paragraphsPerPage} paragraphs of prose, ${page.links} links) ` +
      `on loopback addresses (\`startTestSite\` from \`@kraul/testkit\`), ${integer(pages)} pages reachable from ` +
      "`/p/0` of host 0 with robots.txt obeyed. Job: `--delay 0`, robots on, scope the site's origins, " +
      `\`--allow-address\` for each host; global concurrency ${options.concurrency}; ` +
      `${options.partitions} partitions on kraul's in-memory bus. Median of ${plural(options.rounds, 'round')}; ` +
      'each round runs every crawler once per per-host concurrency, starting with a different one each round.',
    '',
    'Every crawl runs in a fresh process (`bench/crawl/crawl-process.ts`) and the site in another ' +
      "(`packages/testkit/src/site-process/site-process.ts`), so CPU time and peak RSS are the crawler's own. Pages/s is the " +
      'expected pages over the time from the start of the crawl until it is over (kraul: every page done in ' +
      'the frontier and nothing queued, in flight or unhandled on the bus, which is what `kraul run` waits ' +
      'for; raw: the queues drained). "Ramp" is when the rate over the last 5% of the pages first reached 90% ' +
      'of the steady rate (the rate between 10% and 50% of the pages). "Last document at" is when the last page or sitemap was recorded; the ' +
      `rest is the crawl winding down. kraul's time includes its start (topics, job, sqlite shards, consumer ` +
      `groups): median ${integer(median(startTimes(samples)))} ms. CPU is user + system time of the crawl ` +
      'process over the same span.',
    '',
    throughputTable(options, samples, pages),
    '',
    contendersParagraph(contenders),
    '',
    "The diagnostic row is the first crawl with one setting changed: the frontier's feed window (how many " +
      'fetch requests a shard may have out, not yet reported done or failed) fixed at 64 instead of ' +
      'following the crawler\'s completion rate (docs/architecture.md, "Flow control"). The two rows ' +
      'differ by that setting alone; on a site with no latency, where the crawler is never short of work, ' +
      "the difference between them is within the rounds' spread.",
    '',
    `Checked in each of the ${crawls} crawls against the site's request log: every one of the ${integer(pages)} ` +
      `expected pages requested exactly once, nothing else requested but robots.txt (${[...robots].join(' or ')} ` +
      `requests per crawl) and the sitemaps it names (${[...sitemaps].join(' or ')}: Crawlee and Scrapy do not ` +
      'read sitemaps from robots.txt), every answer a 2xx. ' +
      'A crawl that fails this check fails the bench.',
    '',
    '### Bus traffic of the kraul crawl',
    '',
    'Records each topic of the in-memory bus received (log end offsets) and the size of their values, ' +
      `per page fetched (${integer(pages)} pages), median over the rounds, against the design's cost per page: ` +
      'one fetch request in, one event out, one schedule record per destination partition per page. ' +
      "The goals are worked out from the site graph and the frontier's final counts.",
    '',
    trafficTable(site, options, samples),
  ].join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function startTimes(samples: Samples): number[] {
  return [...samples.values()].flatMap((byPerHost) =>
    [...byPerHost.values()]
      .flat()
      .flatMap((sample) => (sample.result.startMs === undefined ? [] : [sample.result.startMs])),
  );
}

function throughputTable(options: CrawlBenchOptions, samples: Samples, pages: number): string {
  const rows: string[][] = [];
  for (const perHost of options.perHost) {
    const raw = samples.get('raw')!.get(perHost)!;
    for (const crawler of CRAWLERS) {
      const list = samples.get(crawler.id)?.get(perHost);
      if (!list) continue;
      const rates = list.map((sample) => sample.pagesPerSecond);
      // The ratio of each round, then their median: both crawls of a round saw the same machine.
      const ratio = median(list.map((sample, round) => sample.pagesPerSecond / raw[round]!.pagesPerSecond));
      rows.push([
        crawler.label,
        crawler.perHostLimit === false ? 'none' : String(perHost),
        integer(median(rates)),
        `${integer(minimum(rates))}–${integer(maximum(rates))}`,
        crawler.id === 'raw' ? '1' : times(ratio),
        decimal(median(list.map((sample) => sample.rampMs / 1_000)), 2),
        decimal(median(list.map((sample) => sample.result.lastDocumentMs / 1_000)), 2),
        decimal(median(list.map((sample) => sample.result.wallMs / 1_000)), 2),
        decimal(median(list.map((sample) => sample.result.cpuMicros / 1_000 / pages)), 2),
        decimal(median(list.map((sample) => sample.siteCpuMicros / 1_000 / pages)), 2),
        mebibytes(median(list.map((sample) => sample.result.maxRssBytes))),
      ]);
    }
  }
  return table(
    [
      'crawler',
      'per-host concurrency',
      'pages/s (median)',
      'pages/s (range)',
      '÷ raw (same round)',
      'ramp (s)',
      'last document at (s)',
      'crawl over at (s)',
      'crawler CPU ms/page',
      'site CPU ms/page',
      'peak RSS MiB',
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

function contendersParagraph(contenders: Contenders): string {
  const state = (name: string, installed: Installed, version: string): string =>
    installed.ok ? `${name} ${installed.version}` : `${name} ${version} not measured: ${installed.reason}`;
  return (
    'The contenders are installed by the bench into `bench/.contenders` (' +
    `${state('Crawlee', contenders.crawlee, CRAWLEE_VERSION)}; ${state('Scrapy', contenders.scrapy, SCRAPY_VERSION)}) ` +
    'and crawl as their guides write a crawler, with robots.txt obeyed, links taken from `<a>` and `<area>` ' +
    'without rel=nofollow, the same global concurrency and no retries (`bench/crawl/crawlee-crawl.ts`, ' +
    '`bench/crawl/scrapy-crawl.py`). Crawlee keeps its request queue in its default storage (persisted to a ' +
    "folder, as kraul's frontier is) and has no per-host concurrency limit, so it runs once per round with " +
    'the global limit alone, against the raw loop at per-host concurrency 1. Scrapy runs at each per-host ' +
    'concurrency (`CONCURRENT_REQUESTS_PER_DOMAIN`); its CPU time and peak RSS are those of its Python process.'
  );
}

function trafficTable(site: SiteProcess, options: CrawlBenchOptions, samples: Samples): string {
  const rows: string[][] = [];
  const pages = site.expected.length;
  for (const perHost of options.perHost) {
    const list = samples.get('kraul')!.get(perHost)!;
    const goals = list.map((sample) =>
      busGoals({
        shape: { hosts: options.hosts, pagesPerHost: options.pagesPerHost },
        origins: site.origins,
        pages: site.expected,
        sitemaps: sample.requests.sitemaps,
        dropped: sample.result.counts?.['dropped'] ?? 0,
        partitions: options.partitions,
      }),
    );
    const topics = list[0]!.result.traffic!.map((traffic) => traffic.topic);
    for (const [index, topic] of topics.entries()) {
      if (!PER_PAGE_ROLES.some((role) => topic.endsWith(`.${role}`))) continue;
      const traffic = list.map((sample) => sample.result.traffic![index]!);
      const records = median(traffic.map((t) => t.records));
      const bytes = median(traffic.map((t) => t.valueBytes));
      rows.push([
        `\`${topic}\``,
        String(perHost),
        integer(records),
        decimal(records / pages, 2),
        goalOf(topic, goals, traffic),
        integer(bytes / pages),
        records === 0 ? '–' : integer(bytes / records),
      ]);
    }
  }
  const kraul = [...samples.get('kraul')!.values()].flat();
  const dropped = median(kraul.map((sample) => sample.result.counts?.['dropped'] ?? 0));
  const otherTopics = OTHER_ROLES.map((role) => {
    const counts = new Set(
      kraul.map((sample) => sample.result.traffic!.find((t) => t.topic.endsWith(`.${role}`))!.records),
    );
    return `\`${role}\` ${[...counts].join(' or ')}`;
  }).join(', ');
  return [
    table(
      [
        'topic',
        'per-host concurrency',
        'records',
        'records/page',
        'design goal (records)',
        'value bytes/page',
        'bytes/record',
      ],
      ['l', 'r', 'r', 'r', 'l', 'r', 'r'],
      rows,
    ),
    '',
    `The frontier recorded ${integer(dropped)} URLs as dropped: every page of this site links to a \`/private/\` ` +
      "page that robots.txt disallows. The crawler reports each host's robots.txt once and the frontier drops " +
      'such URLs before they are sent, so they cost no todo record and no event (a records/page above the goal ' +
      'would show any that slipped through). Records on the other topics per crawl: ' +
      `${otherTopics} (the job publishes no page documents).`,
  ].join('\n');
}

/** Topics whose traffic grows with the pages crawled; the others get one sentence. */
const PER_PAGE_ROLES = ['todo', 'events', 'schedule'] as const;
const OTHER_ROLES = ['pages', 'jobs', 'dlq'] as const;

function goalOf(topic: string, goals: readonly BusGoals[], traffic: readonly TopicTraffic[]): string {
  const unacknowledged = traffic.some((t) => t.records !== t.acknowledged);
  const note = unacknowledged ? ' (log and acknowledged counts differ)' : '';
  const role = topic.slice(topic.lastIndexOf('.') + 1);
  const goal = median(
    goals.map((g) => (role === 'todo' ? g.todo : role === 'events' ? g.events : g.scheduleAtMost)),
  );
  if (role === 'todo') return `${integer(goal)}: one per URL sent to the crawlers${note}`;
  if (role === 'events') return `${integer(goal)}: one per fetch request, plus the seed${note}`;
  return `at most ${integer(goal)}: one per destination partition per event${note}`;
}
