import type { BusAdmin, PartitionLag, TopicDescription } from '@kraul/bus';
import {
  type GroupRole,
  groupId,
  isOutcomeReason,
  type Job,
  jobId,
  KraulError,
  type OutcomeReason,
  type TopicRole,
} from '@kraul/protocol';
import { kraulTopicSpecs, readJobCompletion, topicWarnings } from '@kraul/runtime';
import {
  addReasonCounts,
  DataDirError,
  type HostCount,
  type ReasonCounts,
  URL_STATES,
  type UrlState,
  withEachShard,
} from '@kraul/store';
import { metricSamples } from '@kraul/telemetry';
import type { Command } from 'commander';
import {
  type CommandContext,
  commandContext,
  loadJobs,
  requireTopics,
  withAdmin,
  withBus,
} from '../context.ts';
import { CliUsageError, CommandError } from '../errors.ts';
import { reasonLines } from '../failures.ts';
import { formatInstant, formatTable, plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';

/** Each consumer group of a crawl and the topic it reads. */
const GROUP_TOPICS: ReadonlyArray<{ role: GroupRole; topic: TopicRole }> = [
  { role: 'crawlers', topic: 'todo' },
  { role: 'strategy', topic: 'events' },
  { role: 'frontier', topic: 'schedule' },
];

/** The lag of one group on its topic, summed up. */
export interface GroupLagSummary {
  group: string;
  topic: string;
  partitions: number;
  totalLag: number;
  /** Partitions with records not yet committed, most behind first. */
  lagging: PartitionLag[];
  /** Partitions the group has committed an offset for. */
  committedPartitions: number;
}

export function summariseLag(group: string, topic: string, lag: readonly PartitionLag[]): GroupLagSummary {
  const lagging = lag
    .filter((partition) => partition.lag > 0)
    .sort((a, b) => b.lag - a.lag || a.partition - b.partition);
  return {
    group,
    topic,
    partitions: lag.length,
    totalLag: lag.reduce((sum, partition) => sum + partition.lag, 0),
    lagging,
    committedPartitions: lag.filter((partition) => partition.committed >= 0).length,
  };
}

/** The records a partition still holds: a group that never commits lags by exactly that. */
async function retainedRecords(admin: BusAdmin, context: CommandContext, topic: string): Promise<number> {
  const lag = await admin.lag(`${context.prefix}-status-never-commits`, topic);
  return lag.reduce((sum, partition) => sum + partition.lag, 0);
}

async function describeOrMissing(admin: BusAdmin, name: string): Promise<TopicDescription | undefined> {
  try {
    const [description] = await admin.describeTopics([name]);
    return description && description.partitions > 0 ? description : undefined;
  } catch (error) {
    if (error instanceof KraulError && error.code === 'bus.unknown_topic') return undefined;
    throw error;
  }
}

/** Warnings about the prefix's topics: missing, partitioned apart, under-replicated, misconfigured. */
export async function topicHealth(admin: BusAdmin, context: CommandContext): Promise<string[]> {
  const specs = kraulTopicSpecs(context.prefix, context.config.kafka.partitions);
  const descriptions = await Promise.all(specs.map((spec) => describeOrMissing(admin, spec.name)));
  const existing = specs.filter((_, index) => descriptions[index] !== undefined).map((spec) => spec.name);
  let configs: Map<string, Record<string, string>>;
  let brokers: number;
  try {
    [configs, brokers] = await Promise.all([admin.topicConfigs(existing), admin.brokerCount()]);
  } catch (error) {
    // A principal allowed to read lags but not to describe configs still gets its status.
    const reason = error instanceof Error ? error.message : String(error);
    return [
      ...topicWarnings({ specs, descriptions, configs: new Map(), brokers: 1 }).filter(
        (warning) => !warning.includes('is not compacted'),
      ),
      `topic configs not checked: ${reason}`,
    ];
  }
  return topicWarnings({ specs, descriptions, configs, brokers });
}

function laggingDetail(summary: GroupLagSummary, shown = 8): string {
  if (summary.lagging.length === 0) return '-';
  const parts = summary.lagging
    .slice(0, shown)
    .map((partition) => `p${partition.partition}=${partition.lag}`);
  const more = summary.lagging.length > shown ? ` +${summary.lagging.length - shown} more` : '';
  return `${summary.lagging.length}/${summary.partitions}: ${parts.join(' ')}${more}`;
}

function jobLines(job: Job): string {
  const { scope } = job.settings;
  return [
    `job ${job.id}: ${job.state}`,
    `  seeds     ${job.seeds.join(' ')}`,
    `  scope     ${scope.mode}, depth ${scope.maxDepth}${scope.maxPages === undefined ? '' : `, ${scope.maxPages} pages`}`,
    `  created   ${formatInstant(job.createdAt)}`,
    `  updated   ${formatInstant(job.updatedAt)}`,
    '',
  ].join('\n');
}

/**
 * URL counts per state and reason and the hosts with the longest queues, read from a
 * frontier's shard files. Only a kraul state folder of `prefix` is read (a missing, empty or
 * foreign folder, or one of another prefix, is a usage error); one of an older kraul without
 * a manifest is read as it is.
 */
export function frontierCounts(
  dataDir: string,
  job?: string,
  prefix = 'kraul',
): { shards: number; counts: Record<UrlState, number>; reasons: ReasonCounts; topHosts: HostCount[] } {
  const counts = Object.fromEntries(URL_STATES.map((state) => [state, 0])) as Record<UrlState, number>;
  const reasons: ReasonCounts = { failed: {}, dropped: {} };
  const hosts: HostCount[] = [];
  let shards: number;
  try {
    shards = withEachShard(dataDir, { prefix }, (store) => {
      const shard = store.counts(job);
      for (const state of URL_STATES) counts[state] += shard[state];
      addReasonCounts(reasons, store.reasonCounts(job));
      hosts.push(...store.topHosts(10));
    });
  } catch (error) {
    if (!(error instanceof DataDirError)) throw error;
    throw new CliUsageError(error.code, error.message, error.context, { cause: error });
  }
  hosts.sort((a, b) => b.queued - a.queued || b.inflight - a.inflight);
  return { shards, counts, reasons, topHosts: hosts.slice(0, 10) };
}

function frontierLines(dataDir: string, job: string | undefined, prefix: string): string {
  const { shards, counts, reasons, topHosts } = frontierCounts(dataDir, job, prefix);
  const states = URL_STATES.map((state) => `${state} ${counts[state]}`).join(', ');
  const lines = [
    `frontier (${plural(shards, 'shard')} in ${dataDir}${job ? `, job ${job}` : ''}): ${states}`,
    ...reasonLines(reasons),
  ];
  if (topHosts.length > 0) {
    lines.push(
      formatTable(
        ['HOST', 'QUEUED', 'IN FLIGHT', 'DONE'],
        topHosts.map((host) => [host.hostKey, String(host.queued), String(host.inflight), String(host.done)]),
      ).trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * URL counts per state and reason summed over frontier processes, read from their /metrics
 * endpoints (the gauges `frontier_urls` and `frontier_urls_ended`): the cluster's view
 * without access to the frontiers' disks. Counts cover every job of the prefix.
 */
export async function frontierMetricsCounts(
  urls: readonly string[],
  fetchText: (url: string) => Promise<string> = fetchMetrics,
): Promise<{ counts: Record<UrlState, number>; reasons: ReasonCounts }> {
  const counts = Object.fromEntries(URL_STATES.map((state) => [state, 0])) as Record<UrlState, number>;
  const reasons: ReasonCounts = { failed: {}, dropped: {} };
  for (const url of urls) {
    const text = await fetchText(url);
    for (const { labels, value } of metricSamples(text, 'kraul_frontier_urls')) {
      const state = labels['state'] as UrlState;
      if (URL_STATES.includes(state)) counts[state] += value;
    }
    for (const { labels, value } of metricSamples(text, 'kraul_frontier_urls_ended')) {
      const state = labels['state'];
      if (state !== 'failed' && state !== 'dropped') continue;
      const reason = isOutcomeReason(labels['reason'] ?? '') ? (labels['reason'] as OutcomeReason) : 'other';
      reasons[state][reason] = (reasons[state][reason] ?? 0) + value;
    }
  }
  return { counts, reasons };
}

async function fetchMetrics(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new CommandError(
      'cli.metrics_unreachable',
      `--frontier-metrics: cannot read ${url}: ${(error as Error).message}`,
      {
        url,
      },
    );
  }
  if (!response.ok) {
    throw new CommandError(
      'cli.metrics_unreachable',
      `--frontier-metrics: ${url} answered ${response.status}`,
      {
        url,
      },
    );
  }
  return await response.text();
}

function metricsUrls(value: string): string[] {
  const urls = value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new CliUsageError(
        'cli.invalid_flag',
        `--frontier-metrics=${url}: expected http(s) URLs of frontier /metrics endpoints, comma-separated`,
        {},
      );
    }
  }
  return urls;
}

async function status(
  options: { job?: string; dataDir?: string; frontierMetrics?: string },
  command: Command,
): Promise<void> {
  const metricsEndpoints =
    options.frontierMetrics === undefined ? undefined : metricsUrls(options.frontierMetrics);
  const context = commandContext(command);
  if (options.job !== undefined && !jobId.safeParse(options.job).success) {
    throw new CliUsageError('cli.invalid_job_id', `--job=${options.job}: not a valid job id`, {});
  }
  // Read first: a --data-dir that is not a frontier folder of this prefix fails before any connection.
  const frontier =
    options.dataDir === undefined ? undefined : frontierLines(options.dataDir, options.job, context.prefix);
  await withBus(context, async (bus) => {
    const { summaries, deadLetters, warnings } = await withAdmin(bus, async (admin) => {
      const { topics } = context;
      await requireTopics(admin, context, [topics.todo, topics.events, topics.schedule, topics.dlq]);
      const found: GroupLagSummary[] = [];
      for (const { role, topic } of GROUP_TOPICS) {
        const group = groupId(context.prefix, role);
        found.push(summariseLag(group, topics[topic], await admin.lag(group, topics[topic])));
      }
      return {
        summaries: found,
        deadLetters: await retainedRecords(admin, context, topics.dlq),
        warnings: await topicHealth(admin, context),
      };
    });

    if (options.job !== undefined) {
      const jobs = await loadJobs(bus, context);
      try {
        const job = jobs.get(options.job);
        if (!job)
          throw new CommandError(
            'cli.unknown_job',
            `job ${options.job} does not exist on ${context.topics.jobs}`,
            {},
          );
        const completion = await readJobCompletion(
          { bus, jobs, topics: context.topics, prefix: context.prefix },
          job,
        );
        const { queued, inflight, done, failed, dropped } = completion.counts;
        process.stdout.write(jobLines(job));
        process.stdout.write(
          `  progress  ${completion.status}: ${queued} queued, ${inflight} in flight, ${done} done, ` +
            `${failed} failed, ${dropped} dropped${completion.waitingFor ? ` (waiting for ${completion.waitingFor})` : ''}\n\n`,
        );
      } finally {
        await jobs.close();
      }
    }

    const rows = summaries.map((summary) => [
      summary.group,
      summary.topic,
      String(summary.totalLag),
      summary.committedPartitions === 0 ? 'none' : `${summary.committedPartitions}/${summary.partitions}`,
      laggingDetail(summary),
    ]);
    process.stdout.write(formatTable(['GROUP', 'TOPIC', 'LAG', 'COMMITTED', 'PARTITIONS WITH LAG'], rows));
    process.stdout.write(`dead letters: ${plural(deadLetters, 'record')} on ${context.topics.dlq}\n`);
    for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
    if (frontier !== undefined) process.stdout.write(frontier);
    if (metricsEndpoints !== undefined) {
      const { counts, reasons } = await frontierMetricsCounts(metricsEndpoints);
      const states = URL_STATES.map((state) => `${state} ${counts[state]}`).join(', ');
      const lines = [
        `frontier (${plural(metricsEndpoints.length, 'metrics endpoint')}, every job): ${states}`,
        ...reasonLines(reasons),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (summaries.some((summary) => summary.committedPartitions === 0)) {
      process.stdout.write(
        '(COMMITTED none: the group has not committed yet, so its lag counts every record still on the topic)\n',
      );
    }
  });
}

export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .description(
      'show how far behind each consumer group is (crawlers on todo, strategy on events, frontier on schedule) and how many dead letters wait',
    )
    .option('--job <id>', "also show this job's state, settings and URL counts")
    .option(
      '--data-dir <dir>',
      "also count URLs per state, failed and dropped URLs per reason, and show the longest host queues, from a frontier's shard files (read only; a folder without kraul's manifest or of another prefix is refused)",
    )
    .option(
      '--frontier-metrics <urls>',
      "also count URLs per state and failed and dropped URLs per reason, summed over frontiers' /metrics endpoints (comma-separated)",
    )
    .action(status);
  describeCommand(command, {
    examples: [
      'kraul status',
      'kraul status --job docs --prefix acme',
      'kraul status --data-dir /var/lib/kraul',
      'kraul status --frontier-metrics http://frontier-0:9400/metrics,http://frontier-1:9400/metrics',
    ],
    notes: [
      'Lag is per topic partition and shared by every job on the prefix. URL counts per state and reason come\n' +
        "from a frontier's shard files (--data-dir, on the frontier's machine, per job, with the top host queues)\n" +
        'or from the /metrics endpoints of every frontier (--frontier-metrics, the whole cluster, every job).',
    ],
  });
}
