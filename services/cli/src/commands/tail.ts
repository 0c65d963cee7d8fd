import { randomUUID } from 'node:crypto';
import type { BusRecord, CommitOffset } from '@kraul/bus';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandContext, requireTopics, withAdmin, withBus } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';
import { write } from '../output.ts';
import { describeCommand } from '../program-help.ts';
import { formatRecordLine, resolveTopic } from '../record-format.ts';

interface TailOptions {
  group?: string;
  fromBeginning?: boolean;
  max?: number;
  maxBytes: number;
  decode?: boolean;
}

/** Commander parser of a whole number >= min. */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    }
    return Number(text);
  };
}

async function tail(topicArgument: string, options: TailOptions, command: Command): Promise<void> {
  const context = commandContext(command);
  const topic = resolveTopic(topicArgument, context.topics);
  const lineOptions = { maxBytes: options.maxBytes, decode: options.decode === true, role: topic.role };
  const max = options.max ?? Number.POSITIVE_INFINITY;

  await withBus(context, async (bus) => {
    await withAdmin(bus, (admin) => requireTopics(admin, context, [topic.name]));
    const commits = options.group !== undefined;
    const consumer = bus.consumer({
      // A throwaway group reads every partition alone and leaves no offsets behind.
      groupId: options.group ?? `${context.prefix}-tail-${randomUUID()}`,
      topics: [topic.name],
      startFrom: options.fromBeginning ? 'earliest' : 'latest',
      maxWaitMs: 250,
      clientId: `${context.config.kafka.clientId}-tail`,
    });
    let printed = 0;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const uninstall = onInterrupt(() => stop());
    try {
      await consumer.start({
        onBatch: async ({ topic: name, partition, records }) => {
          let last: BusRecord | undefined;
          for (const record of records) {
            // The slot is taken before the write, so partitions printing at once never exceed --max.
            if (printed >= max) break;
            printed += 1;
            await write(process.stdout, `${formatRecordLine(record, lineOptions)}\n`);
            last = record;
          }
          if (commits && last) {
            const offset: CommitOffset = { topic: name, partition, offset: last.offset + 1 };
            await consumer.commit([offset]);
          }
          if (printed >= max) stop();
        },
      });
      if (max === 0) stop();
      await stopped;
    } finally {
      uninstall();
      await consumer.close();
    }
  });
}

export function registerTail(program: Command): void {
  const command = program
    .command('tail')
    .description('print the records of a topic as they arrive: topic:partition:offset key=… value=…')
    .argument('<topic>', 'a role (todo, events, schedule, pages, jobs, dlq) or a full topic name')
    .option(
      '--group <id>',
      'read as this consumer group and commit what was printed, so the next run goes on from there',
    )
    .option(
      '--from-beginning',
      'start at the oldest record (default: only records that arrive from now on); with --group, only where the group has committed nothing yet',
    )
    .option('--max <n>', 'stop after this many records', wholeNumber(0))
    .option(
      '--max-bytes <n>',
      'print at most this many bytes of each value; 0 prints it whole',
      wholeNumber(0),
      4_096,
    )
    .option('--decode', 'validate each record with the protocol: show its message type, or why it is invalid')
    .action(tail);
  describeCommand(command, {
    examples: [
      'kraul tail events',
      'kraul tail events --from-beginning --max 20 --decode',
      'kraul tail dlq --from-beginning --max-bytes 0',
      'kraul tail acme.pages --group page-watchers',
    ],
    notes: ['Stops on Ctrl-C or after --max records.'],
  });
}
