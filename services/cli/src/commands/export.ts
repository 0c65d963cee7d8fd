import { randomUUID } from 'node:crypto';
import type { BusRecord } from '@kraul/bus';
import { decodeAs, jobId } from '@kraul/protocol';
import type { Command } from 'commander';
import { type CommandContext, commandContext, requireTopics, withAdmin, withBus } from '../context.ts';
import { CliUsageError } from '../errors.ts';
import { writeFailures } from '../failures.ts';
import { onInterrupt } from '../interrupt.ts';
import { flushed, plural, write } from '../output.ts';
import { describeCommand } from '../program-help.ts';

interface ExportOptions {
  job?: string;
  failures?: boolean;
  dataDir?: string;
  group?: string;
  fromBeginning?: boolean;
  follow?: boolean;
  skipNoindex?: boolean;
  items?: boolean;
}

/**
 * Where each partition of the pages topic ended when the export started. Without --follow
 * the export stops once it has read up to these offsets, so it ends even while crawlers
 * keep writing.
 */
class CatchUp {
  readonly #ends = new Map<number, number>();

  constructor(ends: ReadonlyArray<{ partition: number; logEnd: number; lag: number }>) {
    for (const { partition, logEnd, lag } of ends) if (lag > 0) this.#ends.set(partition, logEnd);
  }

  /** Whether a record was in the log when the export started. */
  includes(record: BusRecord): boolean {
    const end = this.#ends.get(record.partition);
    return end !== undefined && record.offset < end;
  }

  /** Notes a record as read; true once every partition has been read to its start-time end. */
  read(record: BusRecord): boolean {
    const end = this.#ends.get(record.partition);
    if (end !== undefined && record.offset >= end - 1) this.#ends.delete(record.partition);
    return this.done();
  }

  done(): boolean {
    return this.#ends.size === 0;
  }
}

function exportGroup(
  context: CommandContext,
  options: ExportOptions & { job: string },
  items: boolean,
): { groupId: string; commits: boolean } {
  if (options.fromBeginning) return { groupId: `${context.prefix}-export-${randomUUID()}`, commits: false };
  const fallback = items
    ? `${context.prefix}-items-export-${options.job}`
    : `${context.prefix}-export-${options.job}`;
  return { groupId: options.group ?? fallback, commits: true };
}

/**
 * `kraul export --failures --data-dir D`: the failed and dropped URLs a frontier stores, read
 * from its shard files. On a cluster each frontier machine holds the files of the partitions
 * it owns (or they share one volume): run it there, once per data folder.
 */
async function exportFailures(options: ExportOptions, command: Command): Promise<void> {
  if (options.dataDir === undefined) {
    throw new CliUsageError(
      'cli.missing_flag',
      "--failures needs --data-dir: the folder of a frontier's shard files",
      {},
    );
  }
  if (options.job !== undefined && !jobId.safeParse(options.job).success) {
    throw new CliUsageError('cli.invalid_job_id', `--job=${options.job}: not a valid job id`, {});
  }
  const { prefix } = commandContext(command);
  const written = await writeFailures(process.stdout, options.dataDir, prefix, options.job);
  process.stderr.write(
    `kraul: exported ${plural(written, 'failed or dropped URL', 'failed or dropped URLs')}${options.job ? ` of job ${options.job}` : ''} from ${options.dataDir}\n`,
  );
}

async function exportPages(options: ExportOptions, command: Command): Promise<void> {
  if (options.failures) return exportFailures(options, command);
  const context = commandContext(command);
  if (options.job === undefined) {
    throw new CliUsageError('cli.missing_flag', '--job is required: the job whose pages to export', {});
  }
  const id = jobId.safeParse(options.job);
  if (!id.success) {
    throw new CliUsageError('cli.invalid_job_id', `--job=${options.job}: ${id.error.issues[0]!.message}`, {});
  }
  const job = options.job;
  const items = options.items === true;
  if (items && options.skipNoindex === true)
    throw new CliUsageError('cli.invalid_flag', '--skip-noindex applies to pages, not --items', {});
  // With --items, the job's items (its crawl module's output) instead of its pages.
  const pages = items ? context.topics.items : context.topics.pages;
  const what = items ? 'item' : 'page';
  const { groupId, commits } = exportGroup(context, { ...options, job }, items);
  // A page handled twice (a request delivered again) pushed the same item ids again.
  const seenItems = new Set<string>();
  let written = 0;
  let invalid = 0;
  let noindex = 0;

  await withBus(context, async (bus) => {
    const lag = await withAdmin(bus, async (admin) => {
      await requireTopics(admin, context, [pages]);
      return await admin.lag(groupId, pages);
    });
    const catchUp = new CatchUp(lag);
    const follow = options.follow === true;
    if (!follow && catchUp.done()) return;

    const consumer = bus.consumer({
      groupId,
      topics: [pages],
      startFrom: 'earliest',
      maxWaitMs: 250,
      clientId: `${context.config.kafka.clientId}-export`,
    });
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const uninstall = onInterrupt(() => stop());
    try {
      await consumer.start({
        onBatch: async ({ topic, partition, records }) => {
          let next: number | undefined;
          for (const record of records) {
            if (!follow && !catchUp.includes(record)) break;
            try {
              const page = items ? undefined : decodeAs('page.document', record.value, record);
              const item = items ? decodeAs('item', record.value, record) : undefined;
              if (item) {
                if (item.job === job && !seenItems.has(item.id)) {
                  seenItems.add(item.id);
                  const { type: _type, ...line } = item;
                  await write(process.stdout, `${JSON.stringify(line)}\n`);
                  written += 1;
                }
              } else if (!page || page.job !== job) {
                // Another job's page.
              } else if (options.skipNoindex === true && page.robots?.noindex === true) {
                noindex += 1;
              } else {
                await write(process.stdout, `${JSON.stringify(page)}\n`);
                written += 1;
              }
            } catch (error) {
              invalid += 1;
              process.stderr.write(
                `kraul: skipped ${record.topic}:${record.partition}:${record.offset}: ${(error as Error).message}\n`,
              );
            }
            next = record.offset + 1;
            if (!follow && catchUp.read(record)) stop();
          }
          // Offsets are committed only once the lines before them are out of the process.
          if (commits && next !== undefined) {
            await flushed(process.stdout);
            await consumer.commit([{ topic, partition, offset: next }]);
          }
        },
      });
      await stopped;
    } finally {
      uninstall();
      await consumer.close();
    }
  });
  await flushed(process.stdout);
  const notes = [
    ...(noindex > 0 ? [`left out ${plural(noindex, 'noindex page')}`] : []),
    ...(invalid > 0 ? [`skipped ${plural(invalid, 'invalid record')}`] : []),
  ];
  const note = notes.map((text) => `, ${text}`).join('');
  process.stderr.write(
    `kraul: exported ${plural(written, what)} of job ${options.job} from ${pages}${note}\n`,
  );
}

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description(
      "write a job's page documents from the pages topic to stdout as JSON lines, up to where the topic ended at start",
    )
    .option('--job <id>', 'the job whose pages, items (or failures) to export; required for pages and items')
    .option(
      '--group <id>',
      'consumer group that remembers what was exported (default: <prefix>-export-<job>, with --items <prefix>-items-export-<job>)',
    )
    .option(
      '--from-beginning',
      'export every page still on the topic, ignoring (and not moving) what the group remembers',
    )
    .option('--follow', 'keep writing pages as they arrive, until Ctrl-C')
    .option('--skip-noindex', 'leave out pages marked noindex (robots meta or X-Robots-Tag)')
    .option(
      '--items',
      "instead of pages: the job's items (what its crawl module's handlers pushed), each once",
    )
    .option(
      '--failures',
      "instead of pages: every failed and dropped URL (url, state, reason, message, attempts, status), read from a frontier's shard files (--data-dir)",
    )
    .option('--data-dir <dir>', "with --failures: the frontier's data folder")
    .action(exportPages);
  describeCommand(command, {
    examples: [
      'kraul export --job docs > pages.jsonl',
      'kraul export --job docs --from-beginning > all-pages.jsonl',
      'kraul export --job docs --follow | jq -r .url',
      'kraul export --job docs --skip-noindex > indexable.jsonl',
      'kraul export --failures --data-dir /var/lib/kraul --job docs > failures.jsonl',
      'kraul export --job shop --items > items.jsonl',
    ],
    notes: [
      'Each run continues where the last one of its group stopped, so repeated exports append only new pages.',
      'Pages are published only for jobs created with --output text or --output html.',
      'Items are published for jobs created from a crawl module (kraul job create ./my-crawl.ts).',
      "--failures reads the frontier's shard files, not a topic: run it where a frontier keeps its --data-dir (once per frontier).",
    ],
  });
}
