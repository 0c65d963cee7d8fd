import type { BusAdmin } from '@kraul/bus';
import { defaultReplicationFactor, type KraulTopicSpec, kraulTopicSpecs } from '@kraul/runtime';
import type { Command } from 'commander';
import { type CommandContext, commandContext, partitionsOfAll, withAdmin, withBus } from '../context.ts';
import { CommandError } from '../errors.ts';
import { formatTable, plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';

/** What `topics create` found or did for one topic. */
export interface TopicOutcome {
  spec: KraulTopicSpec;
  /** Partitions it had before, when it existed. */
  existingPartitions: number | undefined;
}

/**
 * todo and schedule are partitioned alike so the frontier shard owning schedule partition p
 * is the only writer of todo partition p. An existing pair that disagrees with the request
 * would break that, and Kafka can only add partitions (which moves hosts between shards).
 */
function partitionConflicts(outcomes: readonly TopicOutcome[], requested: number): string[] {
  const problems: string[] = [];
  const paired = outcomes.filter(
    (outcome) => outcome.spec.role === 'todo' || outcome.spec.role === 'schedule',
  );
  for (const { spec, existingPartitions } of paired) {
    if (existingPartitions !== undefined && existingPartitions !== requested) {
      problems.push(`${spec.name} exists with ${existingPartitions} partitions, not ${requested}`);
    }
  }
  return problems;
}

/** The replication factor to create with: the one asked for, or min(3, brokers). */
export async function chooseReplicationFactor(
  admin: BusAdmin,
  requested: number | undefined,
): Promise<{ replicationFactor: number; brokers: number }> {
  const brokers = await admin.brokerCount();
  if (requested !== undefined && requested > brokers) {
    throw new CommandError(
      'cli.replication_factor_too_high',
      `--replication-factor ${requested} needs ${requested} brokers, the cluster has ${brokers}. Nothing was created. ` +
        `Leave it unset to get min(3, brokers) = ${defaultReplicationFactor(brokers)}.`,
      { requested, brokers },
    );
  }
  return { replicationFactor: requested ?? defaultReplicationFactor(brokers), brokers };
}

export async function createTopics(
  admin: BusAdmin,
  context: CommandContext,
  replicationFactor: number,
): Promise<TopicOutcome[]> {
  const { topicPrefix, partitions } = context.config.kafka;
  const specs = kraulTopicSpecs(topicPrefix, partitions, replicationFactor);
  const counts = await partitionsOfAll(
    admin,
    specs.map((spec) => spec.name),
  );
  const outcomes: TopicOutcome[] = specs.map((spec, index) => ({ spec, existingPartitions: counts[index] }));

  const conflicts = partitionConflicts(outcomes, partitions);
  if (conflicts.length > 0) {
    const existing =
      outcomes.find((o) => o.spec.role === 'todo' && o.existingPartitions !== undefined) ??
      outcomes.find((o) => o.spec.role === 'schedule' && o.existingPartitions !== undefined);
    throw new CommandError(
      'cli.topic_partitions_mismatch',
      `${conflicts.join('; ')}. The todo and schedule topics must have the same partition count: the frontier ` +
        'shard that owns schedule partition p is the only writer of todo partition p, which is what keeps ' +
        'each host on one frontier shard and one crawler. Nothing was created. ' +
        `Run again with --partitions ${existing?.existingPartitions ?? partitions} (or KRAUL_KAFKA_PARTITIONS), ` +
        'or use another --prefix for a new layout.',
      { prefix: topicPrefix, requested: partitions },
    );
  }
  const missing = outcomes.filter((outcome) => outcome.existingPartitions === undefined).map((o) => o.spec);
  if (missing.length > 0) await admin.createTopics(missing);
  return outcomes;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A topic's configs in a few words: `compact` or `retention 7d`, min.insync, compression. */
export function describeTopicConfig(config: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  if ((config['cleanup.policy'] ?? '').includes('compact')) parts.push('compacted');
  else if (config['retention.ms'] !== undefined) {
    const ms = Number(config['retention.ms']);
    parts.push(
      ms < 0 ? 'retention forever' : `retention ${ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${ms}ms`}`,
    );
  }
  if (config['min.insync.replicas'] !== undefined)
    parts.push(`min.insync.replicas ${config['min.insync.replicas']}`);
  if (config['compression.type'] !== undefined) parts.push(`compression.type ${config['compression.type']}`);
  return parts.join(', ');
}

function outcomeRows(outcomes: readonly TopicOutcome[]): string[][] {
  return outcomes.map(({ spec, existingPartitions }) => {
    const created = existingPartitions === undefined;
    const config = describeTopicConfig(spec.config ?? {});
    return [
      created ? 'created' : 'exists',
      spec.name,
      String(existingPartitions ?? spec.partitions),
      created ? String(spec.replicationFactor ?? 1) : '',
      created ? config : '',
    ];
  });
}

async function describeTopics(admin: BusAdmin, context: CommandContext): Promise<string[][]> {
  const { topicPrefix, partitions } = context.config.kafka;
  const specs = kraulTopicSpecs(topicPrefix, partitions);
  const counts = await partitionsOfAll(
    admin,
    specs.map((spec) => spec.name),
  );
  return specs.map((spec, index) => [spec.role, spec.name, String(counts[index] ?? 'missing')]);
}

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description("create and inspect kraul's Kafka topics");
  describeCommand(topics, {
    examples: ['kraul topics create --partitions 24', 'kraul topics describe --prefix acme'],
  });

  const create = topics
    .command('create')
    .description(
      'create the topics of a prefix with the admin API: todo, events, schedule and pages with --partitions ' +
        'partitions, jobs (compacted) and dlq with one, replicated min(3, brokers) times unless told, with ' +
        'retention per topic; topics that exist are kept and reported',
    )
    .action(async (_options, command: Command) => {
      const context = commandContext(command);
      const { outcomes, replicationFactor, brokers } = await withBus(context, (bus) =>
        withAdmin(bus, async (admin) => {
          const chosen = await chooseReplicationFactor(admin, context.config.kafka.replicationFactor);
          return { ...chosen, outcomes: await createTopics(admin, context, chosen.replicationFactor) };
        }),
      );
      const how =
        context.config.kafka.replicationFactor === undefined
          ? `min(3, ${plural(brokers, 'broker')})`
          : '--replication-factor';
      process.stdout.write(
        `replication factor ${replicationFactor} (${how}), min.insync.replicas ${replicationFactor >= 3 ? 2 : 1}\n`,
      );
      process.stdout.write(
        formatTable(['', 'TOPIC', 'PARTITIONS', 'REPLICAS', 'CONFIG'], outcomeRows(outcomes)),
      );
      const created = outcomes.filter((outcome) => outcome.existingPartitions === undefined).length;
      process.stdout.write(
        `${plural(created, 'topic')} created, ${outcomes.length - created} already there\n`,
      );
    });
  describeCommand(create, {
    examples: [
      'kraul topics create',
      'kraul topics create --prefix acme --partitions 48 --replication-factor 3',
      'KRAUL_KAFKA_BROKERS=k1:9092,k2:9092 kraul topics create',
    ],
  });

  const describe = topics
    .command('describe')
    .description('show the topics of a prefix and their partition counts')
    .action(async (_options, command: Command) => {
      const context = commandContext(command);
      const rows = await withBus(context, (bus) => withAdmin(bus, (admin) => describeTopics(admin, context)));
      process.stdout.write(formatTable(['ROLE', 'TOPIC', 'PARTITIONS'], rows));
    });
  describeCommand(describe, { examples: ['kraul topics describe', 'kraul topics describe --prefix acme'] });
}
