import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseDuration } from '@kraul/config';
import type { Command } from 'commander';
import { clusterDown, clusterStatus, clusterUp, KAFKA_SCRIPT } from '../cluster/local-cluster.ts';
import { commandContext, withAdmin, withBus } from '../context.ts';
import { CliUsageError, CommandError } from '../errors.ts';
import { formatTable, plural } from '../output.ts';
import { describeCommand } from '../program-help.ts';
import { chooseReplicationFactor, createTopics } from './topics.ts';

const DEFAULT_DIR = '.kraul/cluster';

function durationOption(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new CliUsageError(
      'cli.invalid_duration',
      `${flag}=${value}: expected a duration such as 30s or 2m`,
      {},
    );
  }
  return ms;
}

/** Runs the repository's broker script (`start`, `status` or `stop`), its output passed through. */
function kafkaScript(action: 'start' | 'status' | 'stop'): number {
  if (!existsSync(KAFKA_SCRIPT)) {
    throw new CommandError(
      'cli.no_kafka_script',
      `${action === 'stop' ? '--stop-broker' : '--start-broker'} needs scripts/kafka.sh of a kraul checkout`,
      {},
    );
  }
  const run = spawnSync('bash', [KAFKA_SCRIPT, action], { stdio: ['ignore', 'inherit', 'inherit'] });
  return run.status ?? 1;
}

async function up(
  options: { crawlers: string; dir: string; startBroker?: boolean; readyTimeout: string },
  command: Command,
): Promise<void> {
  const context = commandContext(command);
  const crawlers = Number(options.crawlers);
  if (!Number.isInteger(crawlers) || crawlers < 1 || crawlers > 64) {
    throw new CliUsageError('cli.invalid_crawlers', `--crawlers=${options.crawlers}: expected 1 to 64`, {});
  }
  const readyTimeoutMs = durationOption('--ready-timeout', options.readyTimeout);
  if (options.startBroker && kafkaScript('status') !== 0 && kafkaScript('start') !== 0) {
    throw new CommandError('cli.broker_not_started', 'scripts/kafka.sh start failed (see above)', {});
  }
  // The same topics `kraul topics create` makes (existing ones are kept).
  const outcomes = await withBus(context, (bus) =>
    withAdmin(bus, async (admin) => {
      const { replicationFactor } = await chooseReplicationFactor(
        admin,
        context.config.kafka.replicationFactor,
      );
      return createTopics(admin, context, replicationFactor);
    }),
  );
  const created = outcomes.filter((outcome) => outcome.existingPartitions === undefined).length;
  process.stdout.write(
    `topics of ${context.prefix}: ${plural(created, 'topic')} created, ${outcomes.length - created} already there\n`,
  );
  const state = await clusterUp({
    dir: options.dir,
    prefix: context.prefix,
    brokers: context.config.kafka.brokers,
    crawlers,
    env: process.env,
    readyTimeoutMs,
  });
  process.stdout.write(
    formatTable(
      ['PROCESS', 'PID', 'METRICS', 'LOG'],
      state.processes.map((entry) => [
        entry.name,
        String(entry.pid),
        `http://127.0.0.1:${entry.metricsPort}/metrics`,
        entry.log,
      ]),
    ),
  );
  process.stdout.write(
    `cluster up: ${plural(state.processes.length, 'process', 'processes')} ready on ${state.brokers.join(',')}, prefix ${state.prefix}; ` +
      `\`kraul cluster down --dir ${options.dir}\` stops them\n`,
  );
}

async function status(options: { dir: string }): Promise<void> {
  const found = await clusterStatus(options.dir);
  if (!found) {
    throw new CommandError('cli.no_cluster', `no cluster recorded in ${options.dir}`, { dir: options.dir });
  }
  process.stdout.write(
    formatTable(
      ['PROCESS', 'PID', 'STATE', 'METRICS', 'LOG'],
      found.processes.map((entry) => [
        entry.name,
        String(entry.pid),
        entry.ready ? 'ready' : entry.running ? 'not ready' : 'exited',
        `http://127.0.0.1:${entry.metricsPort}/metrics`,
        entry.log,
      ]),
    ),
  );
  const running = found.processes.filter((entry) => entry.running).length;
  process.stdout.write(
    `${running} of ${found.processes.length} running, prefix ${found.state.prefix} on ${found.state.brokers.join(',')}\n`,
  );
  if (running < found.processes.length) {
    throw new CommandError(
      'cli.cluster_degraded',
      `${found.processes.length - running} of the cluster's processes exited: see their logs`,
      { dir: options.dir },
    );
  }
}

async function down(options: { dir: string; grace: string; stopBroker?: boolean }): Promise<void> {
  const graceMs = durationOption('--grace', options.grace);
  const result = await clusterDown(options.dir, graceMs);
  if (!result) process.stdout.write(`no cluster recorded in ${options.dir}\n`);
  else {
    const killed =
      result.killed.length > 0
        ? `, ${result.killed.map((entry) => entry.name).join(', ')} killed after ${options.grace}`
        : '';
    process.stdout.write(
      `cluster down: ${plural(result.stopped.length, 'process', 'processes')} stopped${killed}\n`,
    );
  }
  if (options.stopBroker && kafkaScript('stop') !== 0) {
    throw new CommandError('cli.broker_not_stopped', 'scripts/kafka.sh stop failed (see above)', {});
  }
}

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('run a local multi-process cluster for development: frontier, strategy and N crawlers');
  describeCommand(cluster, {
    examples: ['kraul cluster up --crawlers 3 --start-broker', 'kraul cluster status', 'kraul cluster down'],
  });

  const upCommand = cluster
    .command('up')
    .description(
      "create the prefix's topics and start a frontier, a strategy and --crawlers crawlers as separate processes, " +
        'each logging to <dir>/logs/<name>.log, recorded in <dir>/cluster.json; returns once all are ready',
    )
    .option('--crawlers <n>', 'crawler processes', '2')
    .option('--dir <dir>', 'folder of cluster.json, the logs and the frontier data', DEFAULT_DIR)
    .option(
      '--start-broker',
      'start a local broker with scripts/kafka.sh when none answers on 127.0.0.1:9092',
    )
    .option('--ready-timeout <duration>', 'how long each process has to report ready', '60s')
    .action(up);
  describeCommand(upCommand, {
    examples: [
      'kraul cluster up --crawlers 3 --start-broker',
      'kraul cluster up --brokers k1:9092 --prefix dev --partitions 6',
    ],
    notes: [
      'The processes read KRAUL_* variables like any role (KRAUL_CONCURRENCY, KRAUL_SESSION_TIMEOUT, TLS and SASL\n' +
        'settings); --brokers and --prefix are passed on. Seed them with `kraul job create` and follow a job with\n' +
        '`kraul job wait`.',
    ],
  });

  const statusCommand = cluster
    .command('status')
    .description('show the processes of the local cluster: pid, running or not, ready or not, log file')
    .option('--dir <dir>', 'folder of cluster.json', DEFAULT_DIR)
    .action(status);
  describeCommand(statusCommand, { examples: ['kraul cluster status'] });

  const downCommand = cluster
    .command('down')
    .description(
      'stop every process of the local cluster with SIGTERM (crawlers first), SIGKILL after --grace; the broker keeps running',
    )
    .option('--dir <dir>', 'folder of cluster.json', DEFAULT_DIR)
    .option('--grace <duration>', 'time each process has to stop before it is killed', '30s')
    .option('--stop-broker', 'also stop the local broker with scripts/kafka.sh')
    .action(down);
  describeCommand(downCommand, { examples: ['kraul cluster down', 'kraul cluster down --stop-broker'] });
}
