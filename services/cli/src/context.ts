import type { Bus, BusAdmin } from '@kraul/bus';
import { KraulError, type TopicNames, topicNames } from '@kraul/protocol';
import { JobRegistry } from '@kraul/runtime';
import { createLogger, type Logger } from '@kraul/telemetry';
import type { Command } from 'commander';
import { type ConnectionConfig, loadConnectionConfig, openBus, verifyKafkaAccess } from './connection.ts';
import { CommandError } from './errors.ts';

/** What a cluster command works with, read once from its flags and the environment. */
export interface CommandContext {
  config: ConnectionConfig;
  prefix: string;
  topics: TopicNames;
  /** Diagnostics on stderr; stdout is kept for the command's output. */
  log: Logger;
  verbose: boolean;
}

/**
 * Loads the connection settings of a command (global flags and `KRAUL_*` variables) and
 * prints the warnings worth a look: likely misspelt variables always, the rest with --verbose
 * (a shell shared with the services holds many variables the CLI does not read).
 */
export function commandContext(
  command: Command,
  env: Record<string, string | undefined> = process.env,
): CommandContext {
  const options = command.optsWithGlobals();
  const verbose = options['verbose'] === true;
  const { config, warnings } = loadConnectionConfig(options, env);
  const log = createLogger({ name: 'kraul', level: config.logLevel, format: config.logFormat });
  for (const warning of warnings) {
    if (verbose || warning.suggestion !== undefined)
      process.stderr.write(`kraul: warning: ${warning.message}\n`);
  }
  const prefix = config.kafka.topicPrefix;
  return { config, prefix, topics: topicNames(prefix), log, verbose };
}

/** Runs `work` with a Kafka bus and closes the bus afterwards, whatever happens. */
export async function withBus<T>(context: CommandContext, work: (bus: Bus) => Promise<T>): Promise<T> {
  await verifyKafkaAccess(context.config);
  const bus = await openBus(context.config);
  try {
    return await work(bus);
  } finally {
    await bus.close();
  }
}

/** Runs `work` with an admin client of the bus and closes it afterwards. */
export async function withAdmin<T>(bus: Bus, work: (admin: BusAdmin) => Promise<T>): Promise<T> {
  const admin = bus.admin();
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

/** The partition count of a topic, or undefined when it does not exist. */
export async function partitionsOf(admin: BusAdmin, topic: string): Promise<number | undefined> {
  try {
    const [description] = await admin.describeTopics([topic]);
    return description && description.partitions > 0 ? description.partitions : undefined;
  } catch (error) {
    if (error instanceof KraulError && error.code === 'bus.unknown_topic') return undefined;
    throw error;
  }
}

/**
 * The partition counts of several topics (undefined for a missing one). Asked all at once:
 * the client spends a few retries before it calls a topic missing.
 */
export function partitionsOfAll(admin: BusAdmin, names: readonly string[]): Promise<(number | undefined)[]> {
  return Promise.all(names.map((name) => partitionsOf(admin, name)));
}

/** Fails with one message naming every missing topic and how to create them. */
export async function requireTopics(
  admin: BusAdmin,
  context: CommandContext,
  names: readonly string[],
): Promise<void> {
  const counts = await partitionsOfAll(admin, names);
  const missing = names.filter((_, index) => counts[index] === undefined);
  if (missing.length === 0) return;
  throw new CommandError(
    'cli.topics_missing',
    `topic${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist: run \`kraul topics create --prefix ${context.prefix}\` first`,
    { topics: missing },
  );
}

/** The jobs on the jobs topic, loaded whole. The caller closes the registry. */
export async function loadJobs(bus: Bus, context: CommandContext): Promise<JobRegistry> {
  await withAdmin(bus, (admin) => requireTopics(admin, context, [context.topics.jobs]));
  const registry = new JobRegistry({
    bus,
    topics: context.topics,
    groupPrefix: `${context.prefix}-cli`,
    log: context.log,
  });
  try {
    await registry.start();
  } catch (error) {
    await registry.close();
    throw error;
  }
  return registry;
}
