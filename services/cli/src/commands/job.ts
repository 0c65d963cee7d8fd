import type { Bus } from '@kraul/bus';
import { encodeMessage, type Job, type JobState } from '@kraul/protocol';
import type { JobRegistry } from '@kraul/runtime';
import type { Command } from 'commander';
import { type CommandContext, commandContext, loadJobs, withBus } from '../context.ts';
import { CommandError } from '../errors.ts';
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

async function createJob(id: string, options: Record<string, unknown>, command: Command): Promise<void> {
  const context = commandContext(command);
  const job = buildJob({ id, seeds: (options['seed'] as string[] | undefined) ?? [], options });
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
      await publishSeeds(producer, context.topics, job.id, job.seeds, 'job');
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

function jobRows(jobs: readonly Job[]): string[][] {
  return [...jobs]
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    .map((job) => {
      const [first, ...rest] = job.seeds;
      const seeds = first === undefined ? '-' : rest.length === 0 ? first : `${first} (+${rest.length})`;
      return [job.id, job.state, seeds, job.settings.scope.mode, formatInstant(job.createdAt)];
    });
}

export function registerJob(program: Command): void {
  const job = program.command('job').description('create crawl jobs and pause, resume, stop or list them');
  describeCommand(job, {
    examples: ['kraul job create docs --seed https://example.com/docs/ --scope host', 'kraul job list'],
  });

  const create = job
    .command('create')
    .description('publish a new crawl job to the jobs topic and seed its start URLs')
    .argument('<id>', "job id: letters, digits, '.', '_' or '-'")
    .option('--seed <url...>', 'start URL of the crawl; its host or domain defines the scope');
  addJobSettingOptions(create).action(createJob);
  describeCommand(create, {
    examples: [
      'kraul job create docs --seed https://example.com/docs/ --scope host --max-pages 5000',
      'kraul job create news --seed https://a.example/ --seed https://b.example/ --delay 2s --output text',
      "kraul job create shop --seed https://shop.example/ --deny '/cart' --deny '\\?sort=' --strategy best-first --keywords shoes,boots",
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
    .description('list the jobs on the jobs topic: id, state, seeds, scope, creation time')
    .action(async (_options, command: Command) => {
      const context = commandContext(command);
      const all = await withBus(context, (bus) => withJobs(bus, context, async (jobs) => jobs.all()));
      if (all.length === 0) {
        process.stdout.write(`no jobs on ${context.topics.jobs}\n`);
        return;
      }
      process.stdout.write(formatTable(['ID', 'STATE', 'SEEDS', 'SCOPE', 'CREATED'], jobRows(all)));
    });
  describeCommand(list, { examples: ['kraul job list', 'kraul job list --prefix acme'] });
}
