import { type SiteProcess, startSiteProcess } from '@kraul/testkit/site-process';
import { decimal, integer, mebibytes, table, times } from '../report/format.ts';
import { maximum, median, minimum } from '../report/stats.ts';
import { runCrawlProcess } from './crawl-client.ts';
import { checkedKafkaCrawl, type KafkaCrawlResult } from './kafka-crawl.ts';
import { verifyCrawl } from './verify-crawl.ts';

export interface KafkaBenchOptions {
  brokers: string[];
  hosts: number;
  pagesPerHost: number;
  /** Paragraphs of prose per page (the page size), as in the crawl section. */
  paragraphsPerPage: number;
  rounds: number;
  /** Crawler processes of each contender. */
  crawlers: readonly number[];
  partitions: number;
  /** Fetches at once, per crawler process and for the raw loop. */
  concurrency: number;
  timeoutMs: number;
  progress: (line: string) => void;
}

interface KafkaSample {
  result: KafkaCrawlResult;
  pagesPerSecond: number;
  ratio: number;
}

/**
 * kraul through a real broker, every role its own process, against the raw loop measured just
 * before in the same round. Skipped, with the reason, when no broker answers.
 */
export async function benchKafka(options: KafkaBenchOptions): Promise<string> {
  const site = await startSiteProcess({
    hosts: options.hosts,
    pagesPerHost: options.pagesPerHost,
    paragraphsPerPage: options.paragraphsPerPage,
  });
  const samples = new Map<number, KafkaSample[]>(options.crawlers.map((n) => [n, []]));
  try {
    const expected = new Set(site.expected);
    for (let round = 0; round < options.rounds; round++) {
      for (const crawlers of options.crawlers) {
        await site.mark();
        const raw = await runCrawlProcess({
          engine: 'raw',
          seed: `${site.origins[0]}/p/0`,
          origins: site.origins,
          addresses: site.addresses,
          expectedPages: expected.size,
          concurrencyPerHost: 1,
          concurrency: options.concurrency,
          partitions: options.partitions,
          timeoutMs: options.timeoutMs,
        });
        verifyCrawl(`round ${round + 1}, raw loop`, raw, await site.log(), expected);
        const rawRate = (expected.size * 1_000) / raw.wallMs;
        const label = `round ${round + 1}, kraul through Kafka, ${crawlers} crawler process(es)`;
        const result = await checkedKafkaCrawl(site, options, crawlers, label);
        const pagesPerSecond = (expected.size * 1_000) / result.wallMs;
        samples.get(crawlers)!.push({ result, pagesPerSecond, ratio: pagesPerSecond / rawRate });
        options.progress(
          `crawl ${label}: ${integer(pagesPerSecond)} pages/s (raw ${integer(rawRate)}), ` +
            `${decimal(result.cpuMicros / 1_000 / expected.size, 2)} roles CPU ms/page`,
        );
      }
    }
    return describe(site, options, samples);
  } finally {
    await site.close();
  }
}

function describe(
  site: SiteProcess,
  options: KafkaBenchOptions,
  samples: Map<number, KafkaSample[]>,
): string {
  const pages = site.expected.length;
  const rows: string[][] = [];
  for (const [crawlers, list] of samples) {
    const rates = list.map((sample) => sample.pagesPerSecond);
    const broker = list.flatMap((sample) =>
      sample.result.brokerCpuMicros === undefined ? [] : [sample.result.brokerCpuMicros / 1_000 / pages],
    );
    const perPage = (role: string, field: 'records' | 'diskBytes') =>
      median(
        list.map((sample) => sample.result.topics.find((t) => t.topic.endsWith(`.${role}`))?.[field] ?? 0),
      ) / pages;
    const records = ['todo', 'events', 'schedule', 'pages', 'jobs', 'dlq'].reduce(
      (sum, role) => sum + perPage(role, 'records'),
      0,
    );
    const bytes = ['todo', 'events', 'schedule', 'pages', 'jobs', 'dlq'].reduce(
      (sum, role) => sum + perPage(role, 'diskBytes'),
      0,
    );
    rows.push([
      String(crawlers),
      integer(median(rates)),
      `${integer(minimum(rates))}–${integer(maximum(rates))}`,
      times(median(list.map((sample) => sample.ratio))),
      decimal(median(list.map((sample) => sample.result.cpuMicros / 1_000 / pages)), 2),
      broker.length === 0 ? 'not seen' : decimal(median(broker), 2),
      decimal(records, 2),
      `${decimal(perPage('todo', 'records'), 2)} / ${decimal(perPage('events', 'records'), 2)} / ${decimal(perPage('schedule', 'records'), 2)}`,
      integer(bytes),
      mebibytes(median(list.map((sample) => sample.result.maxRssBytes))),
    ]);
  }
  return [
    '## Crawl through a real Kafka broker',
    '',
    `Command: \`node bench/run.ts\` (this section; needs the broker at ${options.brokers.join(', ')}). The same ` +
      `site shape (${options.hosts} hosts × ${options.pagesPerHost} pages, ${integer(pages)} pages). kraul runs as a ` +
      'cluster does: `kraul frontier`, `kraul strategy` and 1, 2 or 4 `kraul crawler` processes on fresh topics ' +
      `of ${options.partitions} partitions, producer compression at its default; per-host concurrency 1, ` +
      `${options.concurrency} fetches at once per crawler and for the raw loop, which runs just before each ` +
      `kraul crawl in the same round (${options.rounds} round${options.rounds === 1 ? '' : 's'}, median). Timed ` +
      'from the moment `kraul job create` reports the job created (every role started; the seeds go out next) ' +
      'until every page was fetched and every consumer group caught up; the command itself took ' +
      `${integer(median([...samples.values()].flat().map((sample) => sample.result.jobCreateMs)))} ms to get there (median: Node's ` +
      'start and the Kafka client loading, not counted in the crawl). Roles CPU: user + system of every role process over that span; broker CPU: the broker process over ' +
      'the same span, which includes whatever else used the shared broker meanwhile. Kafka records are the log ' +
      "end offsets of the crawl's topics, bytes the size of their partitions on the broker's disk (DescribeLogDirs). " +
      'Peak RSS: the roles summed. Every crawl is checked like the ones above (every page once, nothing else).',
    '',
    table(
      [
        'crawler processes',
        'pages/s (median)',
        'pages/s (range)',
        '÷ raw (same round)',
        'roles CPU ms/page',
        'broker CPU ms/page',
        'Kafka records/page',
        'todo / events / schedule per page',
        'Kafka bytes on disk/page',
        'peak RSS MiB (roles)',
      ],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
      rows,
    ),
  ].join('\n');
}
