import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '@kraul/config';
import { formatDuration, formatRate, ProgressLine } from '@kraul/telemetry';
import { checkSiteCrawl, type SiteCrawlCheck, startSiteProcess } from '@kraul/testkit/site-process';
import type { Command } from 'commander';
import { siteBenchCrawl } from '../embedded/site-bench-crawl.ts';
import { CommandError, type OptionProblem, OptionsError } from '../errors.ts';
import { describeCommand } from '../program-help.ts';

interface BenchFlags {
  hosts: string;
  pagesPerHost: string;
  pageDelay: string;
  concurrency: string;
  concurrencyPerHost: string;
  partitions: string;
  json?: boolean;
}

interface BenchSettings {
  hosts: number;
  pagesPerHost: number;
  pageDelayMs: number;
  concurrency: number;
  concurrencyPerHost: number;
  partitions: number;
}

/** What `kraul bench` measured; printed as a table, or as JSON with --json. */
export interface BenchResult {
  settings: BenchSettings;
  pages: number;
  /** From the seed to the last page done, nothing left queued or in flight. */
  seconds: number;
  pagesPerSecond: number;
  /** Rate between 10% and 90% of the pages: the crawl's cruising speed. */
  steadyPagesPerSecond: number;
  /** When the rate over the last second first reached 90% of the steady rate. */
  rampSeconds: number;
  /** User + system CPU of this process (every kraul role) per page. */
  cpuMsPerPage: number;
  /** CPU of the site's own process per page, for comparison: what serving a page costs. */
  siteCpuMsPerPage: number;
  peakRssMiB: number;
  check: Omit<SiteCrawlCheck, 'missing' | 'repeated' | 'unexpected' | 'unsuccessful'> & {
    missing: number;
    unexpected: number;
    unsuccessful: number;
  };
}

/** How often the crawl's progress is sampled for the steady rate. */
const SAMPLE_MS = 50;

function integerFlag(
  problems: OptionProblem[],
  source: string,
  value: string,
  min: number,
  max: number,
): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    problems.push({ source, value, reason: `expected a whole number from ${min} to ${max}` });
  return n;
}

function settingsOf(flags: BenchFlags): BenchSettings {
  const problems: OptionProblem[] = [];
  const settings: BenchSettings = {
    hosts: integerFlag(problems, '--hosts', flags.hosts, 1, 1_000),
    pagesPerHost: integerFlag(problems, '--pages-per-host', flags.pagesPerHost, 1, 100_000),
    pageDelayMs: parseDuration(flags.pageDelay) ?? Number.NaN,
    concurrency: integerFlag(problems, '--concurrency', flags.concurrency, 1, 10_000),
    concurrencyPerHost: integerFlag(problems, '--concurrency-per-host', flags.concurrencyPerHost, 1, 100),
    partitions: integerFlag(problems, '--partitions', flags.partitions, 1, 1_000),
  };
  if (!Number.isFinite(settings.pageDelayMs) || settings.pageDelayMs > 60_000)
    problems.push({
      source: '--page-delay',
      value: flags.pageDelay,
      reason: 'expected a duration up to 1m, such as 0, 50ms or 1s',
    });
  if (problems.length > 0) throw new OptionsError('bench', problems);
  return settings;
}

async function bench(flags: BenchFlags): Promise<void> {
  const settings = settingsOf(flags);
  const site = await startSiteProcess({
    hosts: settings.hosts,
    pagesPerHost: settings.pagesPerHost,
    pageDelayMs: settings.pageDelayMs,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'kraul-bench-'));
  try {
    const result = await measure(settings, site, dataDir);
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${report(result)}\n`);
    const { coverage, duplicateFetches, unexpected, unsuccessful } = result.check;
    if (coverage < 1 || duplicateFetches > 0 || unexpected > 0 || unsuccessful > 0)
      throw new CommandError(
        'cli.bench_crawl_wrong',
        'the crawl did not fetch every page of the site exactly once: its figures mean nothing',
        { ...result.check },
      );
  } finally {
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(
  settings: BenchSettings,
  site: Awaited<ReturnType<typeof startSiteProcess>>,
  dataDir: string,
): Promise<BenchResult> {
  const expected = new Set(site.expected);
  const seed = `${site.origins[0]}/p/0`;
  const crawl = siteBenchCrawl({
    seed,
    origins: site.origins,
    addresses: site.addresses,
    concurrency: settings.concurrency,
    concurrencyPerHost: settings.concurrencyPerHost,
    partitions: settings.partitions,
    dataDir,
    logFormat: 'auto',
  });
  await site.mark();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const samples: [ms: number, done: number][] = [];
  const progress = new ProgressLine({
    render: () => {
      const { counts, inFlight } = crawl.progress();
      return `${counts.done} of ${expected.size} pages  in flight ${inFlight}  ${formatDuration(performance.now() - started)}`;
    },
  });
  const sampler = setInterval(
    () => samples.push([performance.now() - started, crawl.progress().counts.done]),
    SAMPLE_MS,
  );
  try {
    await crawl.start([{ url: seed }]);
    progress.start();
    await crawl.finished(20);
  } finally {
    clearInterval(sampler);
    progress.stop();
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await crawl.stop();
  const log = await site.log();
  const check = checkSiteCrawl(log, expected);
  const pages = expected.size;
  const { steady, rampMs } = steadyRate(samples, pages, wallMs);
  return {
    settings,
    pages,
    seconds: wallMs / 1_000,
    pagesPerSecond: (pages * 1_000) / wallMs,
    steadyPagesPerSecond: steady,
    rampSeconds: rampMs / 1_000,
    cpuMsPerPage: (cpu.user + cpu.system) / 1_000 / pages,
    siteCpuMsPerPage: log.cpuMicros / 1_000 / pages,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    check: {
      ...check,
      missing: check.missing.length,
      unexpected: check.unexpected.length,
      unsuccessful: check.unsuccessful.length,
    },
  };
}

/** The rate between 10% and 90% of the pages, and when the rate over the last second first reached 90% of it. */
function steadyRate(
  samples: readonly [number, number][],
  pages: number,
  wallMs: number,
): { steady: number; rampMs: number } {
  const at = (share: number) => samples.find(([, done]) => done >= pages * share)?.[0] ?? wallMs;
  const from = at(0.1);
  const to = at(0.9);
  const steady = to > from ? (0.8 * pages * 1_000) / (to - from) : (pages * 1_000) / wallMs;
  let earliest = 0;
  for (const [ms, done] of samples) {
    while (samples[earliest + 1] && samples[earliest + 1]![0] <= ms - 1_000) earliest += 1;
    const [then, before] = samples[earliest]!;
    if (ms - then < 1_000) continue;
    if (((done - before) * 1_000) / (ms - then) >= 0.9 * steady) return { steady, rampMs: ms };
  }
  return { steady, rampMs: wallMs };
}

function report(result: BenchResult): string {
  const { settings, check } = result;
  const rows: [string, string][] = [
    ['pages', `${result.pages} (${settings.hosts} hosts × ${settings.pagesPerHost})`],
    ['crawl time', formatDuration(result.seconds * 1_000)],
    ['pages/s', formatRate(result.pagesPerSecond, 'pages')],
    ['steady pages/s', `${formatRate(result.steadyPagesPerSecond, 'pages')} (10% to 90% of the pages)`],
    ['90% of steady after', formatDuration(result.rampSeconds * 1_000)],
    [
      'CPU per page',
      `${result.cpuMsPerPage.toFixed(2)} ms (the site: ${result.siteCpuMsPerPage.toFixed(2)} ms)`,
    ],
    ['peak RSS', `${Math.round(result.peakRssMiB)} MiB`],
    ['coverage', `${check.coverage === 1 ? '1' : check.coverage.toFixed(4)} (${check.missing} pages missed)`],
    ['duplicate fetches', String(check.duplicateFetches)],
    [
      'other requests',
      `${check.robots} robots.txt, ${check.sitemaps} sitemaps, ${check.unexpected} outside the crawl`,
    ],
    ['failed requests', String(check.unsuccessful)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `kraul bench: \`kraul run\` on a local site, concurrency ${settings.concurrency}, ` +
      `${settings.concurrencyPerHost} per host, page delay ${settings.pageDelayMs} ms, robots.txt obeyed`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ].join('\n');
}

/** `kraul bench`: a crawl of a local multi-host site, measured, on one screen. */
export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description(
      'measure this machine: crawl a local multi-host site the way `kraul run` does and print pages/s, CPU and memory',
    )
    .option('--hosts <n>', 'hosts of the local site, each on its own loopback address', '20')
    .option('--pages-per-host <n>', 'pages on every host', '50')
    .option('--page-delay <duration>', 'how long every page takes to answer, e.g. 50ms', '0')
    .option('--concurrency <n>', 'fetches at once over all hosts', '32')
    .option('--concurrency-per-host <n>', 'fetches at once per host', '1')
    .option('--partitions <n>', 'partitions of the in-process topics', '4')
    .option('--json', 'print the result as one JSON object');
  describeCommand(command, {
    examples: [
      'kraul bench',
      'kraul bench --hosts 24 --page-delay 50ms --concurrency 4',
      'kraul bench --json',
    ],
    notes: [
      'The site runs in a child process on 127.0.0.2 and up, so the CPU figure is the crawl’s own.',
      'Exits 1 when the crawl missed a page or fetched one twice: its figures would mean nothing.',
    ],
  });
  command.action((flags: BenchFlags) => bench(flags));
}
