import { resolve } from 'node:path';
import { DataDirError } from '@kraul/store';
import {
  createLogger,
  createMetricsRegistry,
  formatDuration,
  formatRate,
  ProgressLine,
} from '@kraul/telemetry';
import { tryNormalizeUrl } from '@kraul/url';
import type { Command } from 'commander';
import { EMBEDDED_PREFIX, EmbeddedCrawl } from '../embedded/engine.ts';
import { CliUsageError } from '../errors.ts';
import { openFailuresFile, reasonLines, writeFailures } from '../failures.ts';
import { onInterrupt } from '../interrupt.ts';
import { addJobSettingOptions, buildJob } from '../job-options.ts';
import { plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';

interface RunOptions extends Record<string, unknown> {
  job?: string;
  dataDir?: string;
  out?: string;
  output?: string;
  failures?: string;
  concurrency?: string;
  userAgent?: string;
  fresh?: boolean;
  skipNoindex?: boolean;
  progress?: boolean;
  logLevel?: string;
}

const DEFAULT_USER_AGENT = 'kraul/0.1 (+https://github.com/kraul-crawler/kraul)';

/** A job id for the crawl of these seeds: the first seed's host, so the same command resumes. */
function defaultJobId(seed: string): string {
  const host = new URL(seed).hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (host || 'crawl').slice(0, 120);
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliUsageError('cli.invalid_flag', `${flag}=${value}: expected a whole number >= 1`, {});
  return n;
}

async function run(urls: string[], options: RunOptions, command: Command): Promise<void> {
  // Without a valid seed there is no job to name; buildJob reports the seeds below.
  const firstSeed = urls.map((url) => tryNormalizeUrl(url)).find((url) => url !== undefined);
  const id = options.job ?? (firstSeed === undefined ? 'crawl' : defaultJobId(firstSeed));
  // Writing pages to a file implies page documents: their visible text unless --output says otherwise.
  const jobFlags =
    options.out !== undefined && options.output === undefined ? { ...options, output: 'text' } : options;
  // Seeds, job id and flags are checked together, so one run names every bad value.
  const job = buildJob({ id, seeds: urls, options: jobFlags, seedSource: '<url>', idSource: '--job' });
  const seeds = job.seeds;
  const concurrency = positiveInt(options.concurrency, '--concurrency', 32);
  const dataDir = resolve(options.dataDir ?? `.kraul/${id}`);

  // Opened before the crawl: a path that cannot be written fails now, not after the crawl.
  const failures =
    options.failures === undefined ? undefined : openFailuresFile(resolve(options.failures), '--failures');

  const globals = command.optsWithGlobals();
  const log = createLogger({
    name: 'kraul',
    level: (globals['logLevel'] as 'info' | undefined) ?? 'warn',
    format: (globals['logFormat'] as 'json' | 'pretty' | 'auto' | undefined) ?? 'auto',
  });
  const crawl = new EmbeddedCrawl({
    job,
    dataDir,
    ...(options.fresh ? { fresh: true } : {}),
    log,
    metrics: createMetricsRegistry(),
    ...(options.out ? { outFile: resolve(options.out) } : {}),
    ...(options.skipNoindex ? { skipNoindex: true } : {}),
    crawler: { userAgent: options.userAgent ?? DEFAULT_USER_AGENT, concurrency },
    // Interactive crawls retry a failing page after seconds, not the cluster's half minute.
    frontier: { retry: { baseMs: 5_000, maxMs: 60_000 }, feedIntervalMs: 100 },
  });

  try {
    await crawl.start(seeds);
  } catch (error) {
    // A folder that is not this job's state (a file, someone's documents, another job) is a
    // bad --data-dir: exit 2 with the one line that says why; nothing in it was touched.
    if (error instanceof DataDirError)
      throw new CliUsageError(error.code, error.message, error.context, { cause: error });
    throw error;
  }
  const before = crawl.progress().counts;
  if (before.done > 0) {
    process.stderr.write(
      `kraul: resuming job ${id}: ${before.done} pages already done (state in ${dataDir})\n`,
    );
  }
  let lastDone = before.done;
  let lastAt = performance.now();
  let rate = 0;
  const progress = new ProgressLine({
    render: () => {
      const { counts, inFlight, elapsedMs } = crawl.progress();
      const now = performance.now();
      const current = (counts.done - lastDone) / ((now - lastAt) / 1_000);
      rate = Number.isFinite(current) ? rate * 0.6 + current * 0.4 : rate;
      lastDone = counts.done;
      lastAt = now;
      return `${counts.done} pages  ${formatRate(rate, 'pages')}  queued ${counts.queued}  in flight ${inFlight}  errors ${counts.failed}  ${formatDuration(elapsedMs)}`;
    },
  });
  if (options.progress !== false) progress.start();

  let interrupted = false;
  let uninstall = () => {};
  const stopRequested = new Promise<void>((resolveStop) => {
    uninstall = onInterrupt(() => {
      interrupted = true;
      process.stderr.write(
        '\nkraul: stopping: finishing the pages in flight (Ctrl-C again to quit at once)\n',
      );
      resolveStop();
    });
  });
  try {
    await Promise.race([crawl.finished(), stopRequested]).catch(async (error: unknown) => {
      // A role that failed (a shard that will not open): stop the rest, then report it.
      await crawl.stop();
      throw error;
    });
    await crawl.stop();
  } finally {
    uninstall();
    progress.stop();
  }

  const { counts, elapsedMs } = crawl.progress();
  const fetched = counts.done - before.done;
  const failuresWritten =
    failures === undefined
      ? undefined
      : await writeFailures(failures, dataDir, EMBEDDED_PREFIX, id).finally(() => failures.end());
  const lines = [
    `${interrupted ? 'stopped' : 'done'}: ${fetched} pages fetched in ${formatDuration(elapsedMs)} (${formatRate(fetched / (elapsedMs / 1_000), 'pages')})`,
    `  job ${id}: ${counts.done} done, ${counts.failed} failed, ${counts.dropped} dropped, ${counts.queued + counts.inflight} left to fetch`,
    ...reasonLines(crawl.reasonCounts(), '    '),
    ...(options.out ? [`  pages written to ${options.out}${noindexNote(crawl.noindexSkipped())}`] : []),
    ...(failuresWritten === undefined
      ? []
      : [`  ${failuresWritten} failed and dropped URLs written to ${options.failures}`]),
    interrupted ? `  resume with the same command; state is in ${dataDir}` : `  state is in ${dataDir}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

function noindexNote(skipped: number): string {
  return skipped > 0 ? ` (${plural(skipped, 'noindex page')} left out)` : '';
}

/** `kraul run <url>...`: a whole crawl in one process on the in-memory bus. */
export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description(
      'crawl from the given URLs on this machine: every role in one process, state in a local folder',
    )
    .argument('<url...>', 'seed URLs; their hosts (or registrable domains, per --scope) bound the crawl')
    .option('--job <id>', "job id; also names the state folder (default: the first seed's host)")
    .option(
      '--data-dir <dir>',
      'folder of the crawl state (default: .kraul/<job>); must be empty, missing, or one kraul made for this job',
    )
    .option('--out <file>', 'append every page to this file as JSON lines (implies --output text)')
    .option(
      '--skip-noindex',
      'leave pages marked noindex (robots meta or X-Robots-Tag) out of --out; they are still fetched and counted',
    )
    .option(
      '--failures <file>',
      'write every failed and dropped URL of the job to this file as JSON lines (url, state, reason, message, attempts, status)',
    )
    .option('--concurrency <n>', 'fetches at once over all hosts (default: 32)')
    .option('--user-agent <text>', `User-Agent header (default: ${DEFAULT_USER_AGENT})`)
    .option(
      '--fresh',
      "start over: delete this job's saved state (only the files kraul wrote in --data-dir; a folder holding anything else is refused)",
    )
    .option('--no-progress', 'do not print the progress line');
  addJobSettingOptions(command);
  describeCommand(command, {
    examples: [
      'kraul run https://example.com/ --max-pages 100 --out pages.jsonl',
      'kraul run https://docs.example.org/ --scope host --max-depth 3 --delay 500ms',
      'kraul run https://example.com/ --fresh',
      'kraul run https://example.com/ --failures failures.jsonl',
    ],
    notes: [
      'Ctrl-C stops gracefully; the same command resumes without fetching again what was done.',
      'Polite by default: robots.txt obeyed, one request at a time per host, 1s between requests.',
    ],
  });
  command.action((urls: string[], options: RunOptions, cmd: Command) => run(urls, options, cmd));
}
