import { hostname } from 'node:os';
import type { Bus, BusAdmin } from '@kraul/bus';
import { ConfigError, describeDefaults, loadConfig } from '@kraul/config';
// Each role's settings schema alone: a role loads its own worker (and what that needs: HTTP
// client, HTML parser, sqlite) when it starts, not the other roles' workers.
import { type CrawlerConfig, crawlerConfigSchema } from '@kraul/crawler-service/config';
import { type FrontierConfig, frontierConfigSchema } from '@kraul/frontier-service/config';
import { groupId, topicNames } from '@kraul/protocol';
import { JobRegistry } from '@kraul/runtime';
// The error class alone: the store package's index loads sqlite, which only the frontier needs.
import { DataDirError } from '@kraul/store/data-dir';
import { type StrategyConfig, strategyConfigSchema } from '@kraul/strategy-service/config';
import {
  createLogger,
  createMetricsRegistry,
  type Logger,
  type MetricsRegistry,
  startTelemetryServer,
  type TelemetryServer,
} from '@kraul/telemetry';
import type { Command } from 'commander';
import type { z } from 'zod';
import { connectionFlagValues, openBus, verifyKafkaAccess } from '../connection.ts';
import { requireTopics } from '../context.ts';
import { CliUsageError } from '../errors.ts';
import { onInterrupt } from '../interrupt.ts';
import { describeCommand } from '../program-help.ts';
import { SERVICE_NAMES, type ServiceName } from '../service-schemas.ts';

const SCHEMAS: Readonly<Record<ServiceName, z.ZodObject>> = {
  crawler: crawlerConfigSchema,
  frontier: frontierConfigSchema,
  strategy: strategyConfigSchema,
};

/** A running role: what every service looks like to the process that hosts it. */
interface Role {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Settles when the role cannot go on (a store that will not open): the process stops. */
  readonly failed?: Promise<Error>;
  readonly failure?: Error | undefined;
}

interface ServiceContext {
  bus: Bus;
  jobs: JobRegistry;
  log: Logger;
  metrics: MetricsRegistry;
  prefix: string;
}

type AnyServiceConfig = CrawlerConfig & FrontierConfig & StrategyConfig;

/** The module of each role's worker, imported when the role starts. */
const ROLE_MODULES = {
  crawler: () => import('@kraul/crawl'),
  frontier: () => import('@kraul/frontier'),
  strategy: () => import('@kraul/strategy'),
} as const;

const ROLES: Readonly<
  Record<ServiceName, (config: AnyServiceConfig, context: ServiceContext) => Promise<Role>>
> = {
  crawler: async (config, context) => {
    const [{ CrawlerWorker }, { combinePageHooks, DefinitionHook, WarcHook }] = await Promise.all([
      ROLE_MODULES.crawler(),
      import('@kraul/framework'),
    ]);
    // Jobs made from a crawl module run its page handlers here, in threads of their own.
    const handlers = new DefinitionHook({
      topics: topicNames(context.prefix),
      groupId: groupId(context.prefix, 'crawlers'),
      log: context.log,
      metrics: context.metrics,
      threads: config.handlerThreads,
    });
    // --warc-dir: every fetched page archived, before handlers see it (their links replace the page's).
    const warc =
      config.warcDir === undefined
        ? undefined
        : new WarcHook({
            dir: config.warcDir,
            writer: `${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}-${process.pid}`,
            maxFileBytes: config.warcFileSize,
            metrics: context.metrics,
          });
    const worker = new CrawlerWorker({
      ...context,
      pageHook: warc ? combinePageHooks(warc.hook, handlers.hook) : handlers.hook,
      keepRawResponses: warc !== undefined,
      concurrency: config.concurrency,
      partitionBuffer: config.partitionBuffer,
      userAgent: config.userAgent,
      robotsToken: config.robotsToken,
      revokeGraceMs: config.revokeGrace,
      sessionTimeoutMs: config.sessionTimeout,
      fetch: {
        connectTimeoutMs: config.connectTimeout,
        headersTimeoutMs: config.headersTimeout,
        bodyTimeoutMs: config.bodyTimeout,
        totalTimeoutMs: config.totalTimeout,
        maxBodyBytes: config.maxBodyBytes,
        maxDecodedBytes: config.maxDecodedBytes,
        maxRedirects: config.maxRedirects,
      },
    });
    return {
      start: () => worker.start(),
      stop: async () => {
        await worker.stop();
        await handlers.close();
        await warc?.close();
      },
    };
  },
  frontier: async (config, context) => {
    const { FrontierWorker } = await ROLE_MODULES.frontier();
    return new FrontierWorker({
      ...context,
      dataDir: config.dataDir,
      feed: {
        targetLatencyMs: config.feedTargetLatency,
        minWindow: config.feedMinWindow,
        maxWindow: config.feedMaxWindow,
        initialWindow: Math.min(Math.max(64, config.feedMinWindow), config.feedMaxWindow),
      },
      perHostPerBatch: config.perHostPerBatch,
      hostPlacement: config.hostPlacement,
      leaseMs: config.lease,
      feedIntervalMs: config.feedInterval,
      retry: { baseMs: config.retryBase, maxMs: config.retryMax },
      sessionTimeoutMs: config.sessionTimeout,
    });
  },
  strategy: async (config, context) => {
    const { StrategyWorker } = await ROLE_MODULES.strategy();
    return new StrategyWorker({
      ...context,
      recentUrls: config.recentUrls,
      sessionTimeoutMs: config.sessionTimeout,
    });
  },
};

/** The settings of a service other than the connection ones, which are global flags. */
function ownSettings(schema: z.ZodObject) {
  return describeDefaults(schema).filter(
    (row) => !row.key.startsWith('kafka.') && row.key !== 'logLevel' && row.key !== 'logFormat',
  );
}

function attributeOf(key: string): string {
  return key.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
}

async function runService(name: ServiceName, command: Command): Promise<void> {
  // Loads the worker while the role connects; a failure to load surfaces where it is used.
  ROLE_MODULES[name]().catch(() => {});
  const schema = SCHEMAS[name];
  const globals = command.optsWithGlobals();
  const flags: Record<string, unknown> = connectionFlagValues(globals);
  for (const row of ownSettings(schema)) {
    const value = globals[attributeOf(row.key)];
    if (value !== undefined) flags[row.key] = value;
  }
  let loaded: { config: AnyServiceConfig; warnings: { message: string }[] };
  try {
    loaded = loadConfig(schema, { env: process.env, flags }) as unknown as typeof loaded;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliUsageError(error.code, error.message, {});
    throw error;
  }
  const { config } = loaded;
  const log = createLogger({ name: `kraul-${name}`, level: config.logLevel, format: config.logFormat });
  for (const warning of loaded.warnings) log.warn({ warning: warning.message }, 'configuration warning');

  const prefix = config.kafka.topicPrefix;
  const topics = topicNames(prefix);
  /** Groups whose coordinator does not answer right now: /readyz says false while any does. */
  const retrying = new Set<string>();
  const connection = { kafka: config.kafka, logLevel: config.logLevel, logFormat: config.logFormat };
  // Wrong credentials or certificates are a configuration error: one line and exit, not a
  // role whose every client retries a refusal.
  await verifyKafkaAccess(connection);
  /** The role once made: /readyz is never true after it failed. */
  let started: Role | undefined;
  const bus = await openBus(connection, {
    // One line per streak of failures; the bus retries with backoff and /readyz says false meanwhile.
    onTransientError: (error) => {
      const groupId = error.context['groupId'];
      if (error.code === 'bus.group_retrying' && typeof groupId === 'string') retrying.add(groupId);
      log.warn(
        { code: error.code, ...error.context, error: error.message },
        'retrying: the cluster is not ready',
      );
    },
    onRecovered: (event) => {
      retrying.delete(event.groupId);
      log.info(event, 'the cluster answers again');
    },
    onHandlerError: (error) =>
      log.error({ code: error.code, ...error.context, error: error.message }, error.message),
  });
  const metrics = createMetricsRegistry({ collectDefault: true, defaultLabels: { role: name } });
  let ready = false;
  let server: TelemetryServer | undefined;
  if (config.metricsPort !== undefined) {
    // Up before anything joins a group: /healthz answers and /readyz says false while the
    // role waits for a cluster that is starting (coordinator loading, topics being created).
    server = await startTelemetryServer({
      host: config.metricsHost,
      port: config.metricsPort,
      registry: metrics,
      health: () => {
        // Never ready once the role has failed, in the moment before the process is gone.
        const ok = ready && retrying.size === 0 && started?.failure === undefined;
        return { ready: ok, checks: { group: { ok } } };
      },
    });
    // The port as bound (`--metrics-port 0` takes any free one): `kraul cluster up` reads it here.
    log.info({ url: server.url, metricsPort: server.port }, 'metrics and health endpoints listening');
  }
  const admin: BusAdmin = bus.admin();
  const jobs = new JobRegistry({ bus, topics, groupPrefix: `${prefix}-${name}`, log });
  try {
    await requireTopics(
      admin,
      { prefix, topics } as Parameters<typeof requireTopics>[1],
      Object.values(topics),
    ).finally(() => admin.close());
    await jobs.start();
  } catch (error) {
    // The health server started early must not keep the process alive.
    await bus.close().catch(() => {});
    await server?.close().catch(() => {});
    throw error;
  }
  const role = await ROLES[name](config, { bus, jobs, log, metrics, prefix });
  started = role;
  try {
    await role.start();
  } catch (error) {
    // Closed quietly: the start's own error is the one to report.
    await jobs.close().catch(() => {});
    await bus.close().catch(() => {});
    await server?.close().catch(() => {});
    // A data folder kraul may not use is a bad --data-dir / KRAUL_DATA_DIR: exit 2, one line.
    if (error instanceof DataDirError)
      throw new CliUsageError(error.code, error.message, error.context, { cause: error });
    throw error;
  }
  ready = true;

  let uninstall = () => {};
  const failure = await new Promise<Error | undefined>((resolve) => {
    uninstall = onInterrupt((signal) => {
      log.info({ signal }, 'stopping: finishing work in hand, committing, leaving the group');
      resolve(undefined);
    });
    role.failed?.then(resolve);
  });
  ready = false;
  if (failure) log.error({ err: failure }, 'stopping: the role cannot go on');
  await role.stop();
  await jobs.close();
  await bus.close();
  await server?.close();
  uninstall();
  // The process exits non-zero with the failure's one line (partition, path, cause).
  if (failure) throw failure;
  log.info('stopped');
}

const HELP: Readonly<Record<ServiceName, { description: string; example: string }>> = {
  crawler: {
    description: 'run a crawler worker: fetch the requests of the todo partitions this member is assigned',
    example: 'KRAUL_KAFKA_BROKERS=kafka:9092 kraul crawler --concurrency 64 --metrics-port 9100',
  },
  frontier: {
    description: 'run a frontier shard: keep the crawl state of its partitions and feed the crawlers',
    example: 'kraul frontier --brokers kafka:9092 --data-dir /var/lib/kraul/frontier --metrics-port 9101',
  },
  strategy: {
    description: 'run the strategy worker: apply scope and scoring to crawl events, send decisions',
    example: 'kraul strategy --brokers kafka:9092 --metrics-port 9102',
  },
};

/** `kraul crawler`, `kraul frontier`, `kraul strategy`: one role of a cluster per process. */
export function registerServices(program: Command): void {
  for (const name of SERVICE_NAMES) {
    const command = program.command(name).description(HELP[name].description);
    for (const row of ownSettings(SCHEMAS[name])) {
      command.option(
        `${row.flag} <value>`,
        `${row.description}${row.default ? ` (default: ${row.default})` : ''}`,
      );
    }
    describeCommand(command, {
      examples: [HELP[name].example],
      notes: [
        `Settings also come from ${'KRAUL_*'} variables: \`kraul config --service ${name}\` lists them.`,
      ],
    });
    command.action((_options: unknown, cmd: Command) => runService(name, cmd));
  }
}
