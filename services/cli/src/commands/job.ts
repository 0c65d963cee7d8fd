import type { Bus } from '@kraul/bus';
import { parseDuration } from '@kraul/config';
import { encodeMessage, type Job, type JobState } from '@kraul/protocol';
import { awaitJob, type JobCompletion, type JobRegistry, readJobCompletion } from '@kraul/runtime';
import type { Command } from 'commander';
import { type CommandContext, commandContext, loadJobs, withBus } from '../context.ts';
import { isCrawlModuleArgument, loadCrawlModule } from '../crawl-module.ts';
import { CliUsageError, CommandError } from '../errors.ts';
import { addJobSettingOptions, buildJob } from '../job-options.ts';
import { formatInstant, formatTable, plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';
import { publishSeeds } from '../seed-publisher.ts';

/** Writes a job to the compacted jobs topic, keyed by its id, and waits for the broker's ack. */
export async function publishJob(bus: Bus, context: CommandContext, job: Job): Promise<void> {
  const producer = bus.producer({ clientId: `${context.config.kafka.clientId}-cli` });
  try {
    await producer.send([{ topic: context.topics.jobs, key: job.id, value: encodeMessage(job) }]);
  } finally {
    await producer.close();
  }
}

async function withJobs<T>(
  bus: Bus,
  context: CommandContext,
  work: (jobs: JobRegistry) => Promise<T>,
): Promise<T> {
  const jobs = await loadJobs(bus, context);
  try {
    return await work(jobs);
  } finally {
    await jobs.close();
  }
}

function requireJob(jobs: JobRegistry, id: string, context: CommandContext): Job {
  const job = jobs.get(id);
  if (!job) {
    throw new CommandError('cli.unknown_job', `job ${id} does not exist on ${context.topics.jobs}`, {
      job: id,
    });
  }
  return job;
}

function summary(job: Job): string {
  const { scope, politeness, strategy } = job.settings;
  const limits = [
    `depth ${scope.maxDepth}`,
    ...(scope.maxPages === undefined ? [] : [`${scope.maxPages} pages`]),
    ...(scope.maxPagesPerHost === undefined ? [] : [`${scope.maxPagesPerHost} pages per host`]),
  ];
  return (
    `${plural(job.seeds.length, 'seed')}, scope ${scope.mode}, ${limits.join(', ')}, ` +
    `delay ${politeness.delayMs}ms, ${strategy.name}`
  );
}

async function createJob(
  argument: string,
  options: Record<string, unknown>,
  command: Command,
): Promise<void> {
  const context = commandContext(command);
  // `kraul job create ./my-crawl.ts`: the job is the crawl module's, which crawlers load by the
  // path (or package) the job records.
  const module = isCrawlModuleArgument(argument)
    ? await loadCrawlModule(argument, {
        ...(options['id'] ? { id: options['id'] as string } : {}),
        ...(options['moduleAs'] ? { recordAs: options['moduleAs'] as string } : {}),
        flags: options,
      })
    : undefined;
  if (!module && (options['moduleAs'] !== undefined || options['id'] !== undefined))
    throw new CliUsageError('cli.invalid_flag', '--id and --module-as go with a crawl module (.ts/.js)', {});
  const job = module
    ? module.job
    : buildJob({ id: argument, seeds: (options['seed'] as string[] | undefined) ?? [], options });
  const seeds = module ? module.seeds : job.seeds;
  const id = job.id;
  await withBus(context, async (bus) => {
    await withJobs(bus, context, async (jobs) => {
      const existing = jobs.get(id);
      if (existing) {
        throw new CommandError(
          'cli.job_exists',
          `job ${id} already exists (${existing.state}, created ${formatInstant(existing.createdAt)}): pick another id`,
          { job: id },
        );
      }
    });
    await publishJob(bus, context, job);
    process.stdout.write(`created job ${job.id}: ${summary(job)}\n`);
    // The seeds start the crawl: the strategy schedules what it is told was seeded.
    const producer = bus.producer({ clientId: `${context.config.kafka.clientId}-cli` });
    try {
      await publishSeeds(producer, context.topics, job.id, seeds, 'job');
    } finally {
      await producer.close();
    }
    process.stdout.write(`seeded ${plural(job.seeds.length, 'URL')} on ${context.topics.events}\n`);
  });
}

/** Which states each command moves a job from, and the state it leaves it in. */
const TRANSITIONS: Readonly<
  Record<'pause' | 'resume' | 'stop', { to: JobState; from: readonly JobState[] }>
> = {
  pause: { to: 'paused', from: ['active'] },
  resume: { to: 'active', from: ['paused'] },
  stop: { to: 'stopped', from: ['active', 'paused'] },
};

async function changeState(verb: keyof typeof TRANSITIONS, id: string, command: Command): Promise<void> {
  const context = commandContext(command);
  const { to, from } = TRANSITIONS[verb];
  await withBus(context, async (bus) => {
    const job = await withJobs(bus, context, async (jobs) => requireJob(jobs, id, context));
    if (job.state === to) {
      process.stdout.write(`job ${id} is already ${to}\n`);
      return;
    }
    if (!from.includes(job.state)) {
      throw new CommandError(
        'cli.job_state',
        `job ${id} is ${job.state} and cannot be ${verb === 'stop' ? 'stopped' : `${verb}d`}: a stopped job stays stopped; create a new job to crawl again`,
        { job: id, state: job.state },
      );
    }
    // Every role keeps the newest updatedAt, so the change must sort after what is there even with clock skew.
    const updatedAt = Math.max(Date.now(), job.updatedAt + 1);
    await publishJob(bus, context, { ...job, state: to, updatedAt });
    process.stdout.write(`job ${id}: ${job.state} → ${to}\n`);
  });
}

/** `12 queued, 3 in flight, 40 done, 0 failed, 2 dropped` */
export function countsLine(completion: JobCompletion): string {
  const { queued, inflight, done, failed, dropped } = completion.counts;
  return `${queued} queued, ${inflight} in flight, ${done} done, ${failed} failed, ${dropped} dropped`;
}

function jobRows(jobs: readonly Job[], completions: ReadonlyMap<string, JobCompletion>): string[][] {
  return [...jobs]
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    .map((job) => {
      const [first, ...rest] = job.seeds;
      const seeds = first === undefined ? '-' : rest.length === 0 ? first : `${first} (+${rest.length})`;
      const completion = completions.get(job.id);
      const counts = completion?.counts;
      return [
        job.id,
        completion?.status ?? job.state,
        ...(counts
          ? [counts.queued, counts.inflight, counts.done, counts.failed + counts.dropped].map(String)
          : ['-', '-', '-', '-']),
        seeds,
        job.settings.scope.mode,
        formatInstant(job.createdAt),
      ];
    });
}

async function waitForJob(id: string, options: { timeout?: string }, command: Command): Promise<void> {
  const context = commandContext(command);
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
  if (options.timeout !== undefined && (timeoutMs === undefined || timeoutMs <= 0)) {
    throw new CliUsageError(
      'cli.invalid_timeout',
      `--timeout=${options.timeout}: expected a duration such as 90s, 30m or 2h`,
      {},
    );
  }
  await withBus(context, (bus) =>
    withJobs(bus, context, async (jobs) => {
      let lastLine = '';
      let lastAt = 0;
      const completion = await awaitJob({
        bus,
        jobs,
        topics: context.topics,
        prefix: context.prefix,
        id,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        onProgress: (progress) => {
          // One line on stderr when something changed, at most every 2 s, and every 30 s regardless.
          const line = `job ${id}: ${progress.status}, ${countsLine(progress)} (waiting for ${progress.waitingFor})`;
          const now = Date.now();
          if ((line !== lastLine && now - lastAt >= 2_000) || now - lastAt >= 30_000) {
            process.stderr.write(`${line}\n`);
            lastLine = line;
            lastAt = now;
          }
        },
      });
      process.stdout.write(`job ${id} ${completion.status}: ${countsLine(completion)}\n`);
    }),
  );
}

export function registerJob(program: Command): void {
  const job = program.command('job').description('create crawl jobs and pause, resume, stop or list them');
  describeCommand(job, {
    examples: ['kraul job create docs --seed https://example.com/docs/ --scope host', 'kraul job list'],
  });

  const create = job
    .command('create')
    .description('publish a new crawl job to the jobs topic and seed its start URLs')
    .argument(
      '<id>',
      "job id: letters, digits, '.', '_' or '-'; or a crawl module (.ts/.js exporting defineCrawl), whose name is the id",
    )
    .option('--seed <url...>', 'start URL of the crawl; its host or domain defines the scope')
    .option('--id <id>', "with a crawl module: the job id (default: the definition's name)")
    .option(
      '--module-as <specifier>',
      "with a crawl module: the path or package crawlers load it by (default: the module's absolute path here)",
    );
  addJobSettingOptions(create).action(createJob);
  describeCommand(create, {
    examples: [
      'kraul job create docs --seed https://example.com/docs/ --scope host --max-pages 5000',
      'kraul job create news --seed https://a.example/ --seed https://b.example/ --delay 2s --output text',
      "kraul job create shop --seed https://shop.example/ --deny '/cart' --deny '\\?sort=' --strategy best-first --keywords shoes,boots",
      'kraul job create ./crawls/shop.ts --module-as /crawls/shop.ts',
    ],
    notes: [
      'Every role reads the job from the compacted jobs topic; the seeds are also published to the events topic,\n' +
        'so the crawl starts at once. Add more URLs later with `kraul seed --job <id>`.',
    ],
  });

  for (const verb of ['pause', 'resume', 'stop'] as const) {
    const help = {
      pause: 'pause a job: its URLs wait until it is resumed',
      resume: 'resume a paused job',
      stop: 'stop a job for good: none of its URLs are fetched any more',
    }[verb];
    const sub = job
      .command(verb)
      .description(help)
      .argument('<id>', 'job id')
      .action((id: string, _options, command: Command) => changeState(verb, id, command));
    describeCommand(sub, { examples: [`kraul job ${verb} docs`, `kraul job ${verb} docs --prefix acme`] });
  }

  const list = job
    .command('list')
    .description(
      'list the jobs on the jobs topic: id, state (done once nothing is left to crawl), URL counts from the ' +
        "frontier shards' progress reports (FAILED counts failed and dropped), seeds, scope, creation time",
    )
    .action(async (_options, command: Command) => {
      const context = commandContext(command);
      const { all, completions } = await withBus(context, (bus) =>
        withJobs(bus, context, async (jobs) => {
          const completions = new Map<string, JobCompletion>();
          for (const job of jobs.all()) {
            completions.set(
              job.id,
              await readJobCompletion({ bus, jobs, topics: context.topics, prefix: context.prefix }, job),
            );
          }
          return { all: jobs.all(), completions };
        }),
      );
      if (all.length === 0) {
        process.stdout.write(`no jobs on ${context.topics.jobs}\n`);
        return;
      }
      process.stdout.write(
        formatTable(
          ['ID', 'STATE', 'QUEUED', 'INFLIGHT', 'DONE', 'FAILED', 'SEEDS', 'SCOPE', 'CREATED'],
          jobRows(all, completions),
        ),
      );
    });
  describeCommand(list, { examples: ['kraul job list', 'kraul job list --prefix acme'] });

  const wait = job
    .command('wait')
    .description(
      'wait until a job is done: nothing queued, leased or in flight in any frontier shard and no event or ' +
        'decision in transit; prints progress on stderr, exits 0 when done (or stopped), 3 on timeout',
    )
    .argument('<id>', 'job id')
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 30m, 2h); default: wait for ever')
    .action(waitForJob);
  describeCommand(wait, {
    examples: [
      'kraul job wait docs --timeout 30m && kraul export --job docs > pages.jsonl',
      'kraul job wait docs --prefix acme',
    ],
  });
}
