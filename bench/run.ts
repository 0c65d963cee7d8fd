// kraul's benchmarks in one run: `npm run bench` (node bench/run.ts).
//   --quick  a short run: a smaller site, one round, no micro-benchmarks
//   --write  also (re)write docs/benchmarks.md with the report
// Prints a markdown report on stdout and progress on stderr. Exits non-zero when any crawl
// did not fetch every expected page exactly once, or any benchmark script failed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertTestBrokerAnswers, testBrokers } from '@kraul/testkit';
import { benchCrawl, type CrawlBenchOptions } from './crawl/crawl-section.ts';
import { benchKafka } from './crawl/kafka-section.ts';
import { benchScale } from './crawl/scale-section.ts';
import { REPO_ROOT } from './report/child-script.ts';
import { benchFrontierScale } from './report/frontier-scale-section.ts';
import { describeMachine, loadAverage, machineLine } from './report/machine.ts';
import { formatMarkdown } from './report/markdown-format.ts';
import { benchMicro } from './report/micro-sections.ts';
import { benchStartup } from './report/startup-section.ts';
import { benchStore } from './report/store-section.ts';

const SECTIONS = ['crawl', 'kafka', 'scale', 'store', 'frontier', 'startup', 'micro'] as const;
type SectionName = (typeof SECTIONS)[number];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    /** Measures one section only (printed, never written): e.g. `--only scale`. */
    only: { type: 'string' },
  },
});
if ((flags.quick || flags.only !== undefined) && flags.write) {
  process.stderr.write('bench: --write records a full run; leave out --quick and --only\n');
  process.exit(2);
}
if (flags.only !== undefined && !(SECTIONS as readonly string[]).includes(flags.only)) {
  process.stderr.write(`bench: --only takes one of ${SECTIONS.join(', ')}; got ${flags.only}\n`);
  process.exit(2);
}
const wanted = (name: SectionName): boolean => flags.only === undefined || flags.only === name;

const DOC = 'docs/benchmarks.md';
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const crawlOptions: CrawlBenchOptions = {
  // The issue's measured site: 20 hosts × 200 pages of about 15 KB.
  hosts: flags.quick ? 10 : 20,
  pagesPerHost: flags.quick ? 20 : 200,
  paragraphsPerPage: 28,
  rounds: flags.quick ? 1 : 3,
  perHost: [1, 4],
  concurrency: 32,
  partitions: 4,
  timeoutMs: 120_000,
  progress,
};
const STORE_URLS = 100_000;
const storeRounds = flags.quick ? 1 : 3;
/** Known URLs at which the frontier's memory and disk are measured. */
const FRONTIER_SIZES = flags.quick ? [100_000] : [1_000_000, 10_000_000];

const HOW_TO_READ = [
  '## How to read this',
  '',
  'The machine is shared and noisy: absolute figures move with its load from one run to the next. What ' +
    'counts are the ratios between figures of one run, above all the crawl ratio kraul ÷ raw, measured ' +
    'round by round so both crawls of a ratio saw the same machine. Every figure is a median of several ' +
    'rounds (the range shows the spread). Speed and memory goals are checked here, never by timed test ' +
    'assertions. Run `npm run bench` to measure again; `node bench/run.ts --write` rewrites this page.',
].join('\n');

/** Why no broker section can be measured, or undefined when the test broker answers. */
async function brokerMissing(): Promise<string | undefined> {
  try {
    await assertTestBrokerAnswers();
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]!;
    progress(`broker sections not measured: ${reason}`);
    return reason;
  }
}

/** kraul through the broker, or the reason it was not measured (no broker answers). */
async function kafkaSection(): Promise<string> {
  const missing = await brokerMissing();
  if (missing) return `## Crawl through a real Kafka broker\n\nNot measured: ${missing}`;
  return benchKafka({
    brokers: testBrokers(),
    hosts: crawlOptions.hosts,
    pagesPerHost: crawlOptions.pagesPerHost,
    paragraphsPerPage: crawlOptions.paragraphsPerPage,
    rounds: 1,
    crawlers: flags.quick ? [1] : [1, 2, 4],
    partitions: crawlOptions.partitions,
    concurrency: crawlOptions.concurrency,
    timeoutMs: 300_000,
    progress,
  });
}

/** Scale-out through the broker on a site where one crawler's concurrency is the limit. */
async function scaleSection(): Promise<string> {
  const missing = await brokerMissing();
  if (missing) return `## Scale-out on a latency-bound site\n\nNot measured: ${missing}`;
  return benchScale({
    brokers: testBrokers(),
    hosts: 24,
    pagesPerHost: flags.quick ? 20 : 60,
    pageDelayMs: 50,
    rounds: flags.quick ? 1 : 2,
    crawlers: flags.quick ? [1, 3] : [1, 2, 3],
    partitions: 12,
    concurrency: 4,
    timeoutMs: 300_000,
    progress,
  });
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const started = new Date();
  const loadBefore = loadAverage();
  progress(`${machineLine(machine)}; load ${loadBefore}`);

  const sections: string[] = [];
  if (wanted('crawl')) sections.push(await benchCrawl(crawlOptions));
  if (wanted('kafka')) sections.push(await kafkaSection());
  if (wanted('scale')) sections.push(await scaleSection());
  if (wanted('store')) sections.push(await benchStore(STORE_URLS, storeRounds, progress));
  if (wanted('frontier')) sections.push(await benchFrontierScale(FRONTIER_SIZES, progress));
  if (wanted('startup')) sections.push(await benchStartup(flags.quick ? 3 : 10, progress));
  if (wanted('micro')) {
    if (flags.quick) sections.push('## Micro-benchmarks\n\nNot run with `--quick`.');
    else sections.push(await benchMicro(progress));
  }

  const minutes = (Date.now() - started.getTime()) / 60_000;
  const command = `node bench/run.ts${flags.quick ? ' --quick' : ''}${flags.only ? ` --only ${flags.only}` : ''}${flags.write ? ' --write' : ''}`;
  const head = [
    '# kraul benchmarks',
    '',
    `Measured ${started.toISOString().slice(0, 10)} by \`${command}\` (\`npm run bench\`) in ` +
      `${minutes.toFixed(1)} minutes.`,
    '',
    `Machine: ${machineLine(machine)}. Load average (1 min): ${loadBefore} at the start, ${loadAverage()} at the end.`,
  ].join('\n');
  const report = await formatMarkdown([head, HOW_TO_READ, ...sections].join('\n\n') + '\n', DOC);
  process.stdout.write(report);
  if (flags.write) {
    writeFileSync(join(REPO_ROOT, DOC), report);
    progress(`wrote ${DOC}`);
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exit(1);
}
