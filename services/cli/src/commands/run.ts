import { resolve } from 'node:path';
import { combinePageHooks, DefinitionHook, type HandlerStats, WarcHook } from '@kraul/framework';
import { groupId, type Job, topicNames } from '@kraul/protocol';
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
import { isCrawlModuleArgument, loadCrawlModule } from '../crawl-module.ts';
import { EMBEDDED_PREFIX, EmbeddedCrawl } from '../embedded/engine.ts';
import { CliUsageError } from '../errors.ts';
import { openFailuresFile, reasonLines, writeFailures } from '../failures.ts';
import { onInterrupt } from '../interrupt.ts';
import { addJobSettingOptions, buildJob } from '../job-options.ts';
import { plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';
import type { SeedUrl } from '../seed-publisher.ts';

interface RunOptions extends Record<string, unknown> {
  job?: string;
  dataDir?: string;
  out?: string;
  warc?: string;
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

/** The job and seeds of a `kraul run` of URLs: the first seed's host names it. */
function urlCrawl(urls: string[], options: RunOptions): { job: Job; seeds: SeedUrl[] } {
  // Without a valid seed there is no job to name; buildJob reports the seeds below.
  const firstSeed = urls.map((url) => tryNormalizeUrl(url)).find((url) => url !== undefined);
  const id = options.job ?? (firstSeed === undefined ? 'crawl' : defaultJobId(firstSeed));
  // Writing pages to a file implies page documents: their visible text unless --output says otherwise.
  const jobFlags =
    options.out !== undefined && options.output === undefined ? { ...options, output: 'text' } : options;
  // Seeds, job id and flags are checked together, so one run names every bad value.
  const job = buildJob({ id, seeds: urls, options: jobFlags, seedSource: '<url>', idSource: '--job' });
  return { job, seeds: job.seeds };
}

async function run(urls: string[], options: RunOptions, command: Command): Promise<void> {
  const module = urls.length === 1 && isCrawlModuleArgument(urls[0]!) ? urls[0]! : undefined;
  const { job, seeds } = module
    ? await loadCrawlModule(module, { ...(options.job ? { id: options.job } : {}), flags: options })
    : urlCrawl(urls, options);
  const id = job.id;
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
  const metrics = createMetricsRegistry();
  // A crawl module's handlers run in the crawler, on every page of the job.
  const handlers = module
    ? new DefinitionHook({
        topics: topicNames(EMBEDDED_PREFIX),
        groupId: groupId(EMBEDDED_PREFIX, 'crawlers'),
        log,
        metrics,
      })
    : undefined;
  const outFile = options.out ? resolve(options.out) : undefined;
  // --warc: every fetched page archived, before handlers see it (their links replace the page's).
  const warc = options.warc
    ? new WarcHook({ dir: resolve(options.warc), writer: `run-${process.pid}`, metrics })
    : undefined;
  const pageHooks = [warc?.hook, handlers?.hook].filter((hook) => hook !== undefined);
  const crawl = new EmbeddedCrawl({
    job,
    dataDir,
    ...(options.fresh ? { fresh: true } : {}),
    log,
    metrics,
    // A crawl module's output is its items; a crawl of URLs writes its pages.
    ...(outFile ? (module ? { itemsFile: outFile } : { outFile }) : {}),
    ...(options.skipNoindex ? { skipNoindex: true } : {}),
    crawler: {
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      concurrency,
      ...(pageHooks.length > 0 ? { pageHook: combinePageHooks(...pageHooks) } : {}),
      ...(warc ? { keepRawResponses: true } : {}),
    },
    // Interactive crawls retry a failing page after seconds, not the cluster's half minute.
    frontier: { retry: { baseMs: 5_000, maxMs: 60_000 }, feedIntervalMs: 100 },
  });

  try {
    await crawl.start(seeds);
  } catch (error) {
    await handlers?.close();
    await warc?.close();
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
    await handlers?.close();
    await warc?.close();
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
    ...(handlers ? [handlerSummary(handlers.stats())] : []),
    ...(warc ? [`  WARC: ${plural(warc.files().length, 'file')} in ${options.warc}`] : []),
    ...(options.out && module ? [`  ${plural(crawl.itemsWritten(), 'item')} written to ${options.out}`] : []),
    ...(options.out && !module
      ? [`  pages written to ${options.out}${noindexNote(crawl.noindexSkipped())}`]
      : []),
    ...(failuresWritten === undefined
      ? []
      : [`  ${failuresWritten} failed and dropped URLs written to ${options.failures}`]),
    interrupted ? `  resume with the same command; state is in ${dataDir}` : `  state is in ${dataDir}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** What the crawl module's handlers did: items, refused items, failures, time-outs. */
function handlerSummary(stats: HandlerStats): string {
  return (
    `  handlers: ${plural(stats.pages, 'page')} handled, ${plural(stats.items, 'item')} pushed, ` +
    `${stats.invalidItems} invalid (dead-lettered), ${plural(stats.failures, 'failure')}, ` +
    `${plural(stats.timeouts, 'time-out')}`
  );
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
    .argument(
      '<url...>',
      'seed URLs, whose hosts (or registrable domains, per --scope) bound the crawl; or one crawl module (.ts/.js) exporting defineCrawl({...})',
    )
    .option('--job <id>', "job id; also names the state folder (default: the first seed's host)")
    .option(
      '--data-dir <dir>',
      'folder of the crawl state (default: .kraul/<job>); must be empty, missing, or one kraul made for this job',
    )
    .option(
      '--out <file>',
      "append every page to this file as JSON lines (implies --output text); with a crawl module, the module's items",
    )
    .option(
      '--warc <dir>',
      'write every fetched page to WARC/1.1 files in this folder (request, response or revisit, metadata with its links)',
    )
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
      'kraul run ./my-crawl.ts --out items.jsonl',
    ],
    notes: [
      'Ctrl-C stops gracefully; the same command resumes without fetching again what was done.',
      'Polite by default: robots.txt obeyed, one request at a time per host, 1s between requests.',
    ],
  });
  command.action((urls: string[], options: RunOptions, cmd: Command) => run(urls, options, cmd));
}
