import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { jobId } from '@kraul/protocol';
import type { Command } from 'commander';
import { commandContext, loadJobs, withBus } from '../context.ts';
import { CliUsageError, CommandError } from '../errors.ts';
import { plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';
import { parseSeedLine, readSeedLines, type SeedLineResult } from '../seed-list.ts';
import { publishSeeds, SEED_CHUNK_SIZE } from '../seed-publisher.ts';

interface SeedOptions {
  job: string;
  file?: string;
}

/** The URLs given on the command line, then those of the file (`-` is stdin). */
async function* seedInputs(
  urls: readonly string[],
  file: string | undefined,
): AsyncGenerator<SeedLineResult & { where: string }> {
  for (const [index, url] of urls.entries()) {
    const result = parseSeedLine(url, index + 1);
    if (result) yield { ...result, where: `argument ${index + 1}` };
  }
  if (file === undefined) return;
  const input: Readable = file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (file === '-') resolve();
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new CliUsageError(
      'cli.seed_file_unreadable',
      `cannot read the seed file ${file}: ${(error as Error).message}`,
      {
        path: file,
      },
    );
  }
  for await (const result of readSeedLines(input)) yield { ...result, where: `line ${result.line}` };
}

async function seed(urls: string[], options: SeedOptions, command: Command): Promise<void> {
  const context = commandContext(command);
  const id = jobId.safeParse(options.job);
  if (!id.success) {
    throw new CliUsageError('cli.invalid_job_id', `--job=${options.job}: ${id.error.issues[0]!.message}`, {});
  }
  if (urls.length === 0 && options.file === undefined) {
    throw new CliUsageError(
      'cli.nothing_to_seed',
      'give URLs as arguments or a file with --file (- for stdin)',
      {},
    );
  }
  await withBus(context, async (bus) => {
    const jobs = await loadJobs(bus, context);
    const job = jobs.get(options.job);
    await jobs.close();
    if (!job) {
      throw new CommandError(
        'cli.unknown_job',
        `job ${options.job} does not exist on ${context.topics.jobs}: create it first with \`kraul job create\``,
        { job: options.job },
      );
    }
    if (job.state !== 'active') process.stderr.write(`kraul: warning: job ${job.id} is ${job.state}\n`);

    const producer = bus.producer({ clientId: `${context.config.kafka.clientId}-cli` });
    let seeded = 0;
    let skipped = 0;
    let chunk: string[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      await publishSeeds(producer, context.topics, job.id, chunk, 'cli');
      seeded += chunk.length;
      chunk = [];
    };
    try {
      for await (const result of seedInputs(urls, options.file)) {
        if (!result.ok) {
          skipped += 1;
          process.stderr.write(`kraul: skipped ${result.where} (${result.text}): ${result.reason}\n`);
          continue;
        }
        chunk.push(result.url);
        if (chunk.length >= SEED_CHUNK_SIZE) await flush();
      }
      await flush();
    } finally {
      await producer.close();
    }
    process.stdout.write(
      `seeded ${plural(seeded, 'URL')} for job ${job.id} on ${context.topics.events}, skipped ${plural(skipped, 'line')}\n`,
    );
    if (seeded === 0) throw new CommandError('cli.nothing_seeded', 'no valid URL to seed', { job: job.id });
  });
}

export function registerSeed(program: Command): void {
  const command = program
    .command('seed')
    .description(
      'add start URLs to a job: publishes crawl.seeded events (1,000 URLs per message); bad lines are reported and skipped',
    )
    .argument('[urls...]', 'URLs to seed')
    .requiredOption('--job <id>', 'the job the URLs belong to')
    .option('--file <path>', "file of URLs, one per line; '#' starts a comment line; - reads stdin")
    .action(seed);
  describeCommand(command, {
    examples: [
      'kraul seed --job docs https://example.com/docs/a https://example.com/docs/b',
      'kraul seed --job docs --file urls.txt',
      "grep -h '^https://' lists/*.txt | kraul seed --job docs --file -",
    ],
  });
}
