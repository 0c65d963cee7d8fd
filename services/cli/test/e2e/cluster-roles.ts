import { createServer } from 'node:net';
import { join } from 'node:path';
import { testBrokers } from '@kraul/testkit';
import { type KraulExit, type KraulProcess, runKraulIn, startKraul } from './kraul-process.ts';
import { waitUntil } from './site-crawl.ts';

/** The environment that points `kraul` at the test broker (or at `brokers`). */
export function brokerEnv(brokers: readonly string[] = testBrokers()): Record<string, string> {
  return { KRAUL_KAFKA_BROKERS: brokers.join(','), KRAUL_LOG_LEVEL: 'warn', KRAUL_LOG_FORMAT: 'json' };
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One role of a cluster in its own process, with its metrics and health server on loopback. */
export interface RoleProcess {
  readonly name: string;
  readonly process: KraulProcess;
  /** `http://127.0.0.1:<port>` of its /metrics, /healthz and /readyz. */
  readonly telemetry: string;
}

export interface StartRoleOptions {
  cwd: string;
  /** The role's own flags, e.g. `['--data-dir', dir]`. */
  args?: readonly string[];
  /** Environment over {@link brokerEnv}, e.g. another broker or SASL settings. */
  env?: Record<string, string>;
}

/** Starts `kraul <role> --prefix <prefix>` against the test broker and waits until /readyz says ready. */
export async function startRole(
  name: 'frontier' | 'strategy' | 'crawler',
  prefix: string,
  options: StartRoleOptions,
): Promise<RoleProcess> {
  const port = await freePort();
  const process = startKraul(
    [
      name,
      '--prefix',
      prefix,
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      String(port),
      ...(options.args ?? []),
    ],
    { cwd: options.cwd, env: { ...brokerEnv(), ...options.env }, killAfterMs: 180_000 },
  );
  const telemetry = `http://127.0.0.1:${port}`;
  let exited = false;
  void process.exited.then(() => {
    exited = true;
  });
  await waitUntil(
    `kraul ${name} to report ready`,
    async () => {
      if (exited) throw new Error(`kraul ${name} exited early:\n${process.stderr()}${process.stdout()}`);
      try {
        return (await fetch(`${telemetry}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  return { name, process, telemetry };
}

/**
 * The sum of a metric's samples on a role's /metrics whose labels include `labels`, e.g.
 * `crawler_fetches_total` with `{ outcome: '2xx' }`.
 */
export async function metricValue(
  role: RoleProcess,
  metric: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${role.telemetry}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== metric) continue;
    const sampleLabels = match[2] ?? '';
    if (Object.entries(labels).every(([name, value]) => sampleLabels.includes(`${name}="${value}"`))) {
      total += Number(match[3]);
    }
  }
  return total;
}

/** Creates the topics of `prefix` with 4 partitions. */
export async function createTopics(
  prefix: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<void> {
  const created = await runKraulIn(['topics', 'create', '--prefix', prefix, '--partitions', '4'], {
    cwd,
    env: { ...brokerEnv(), ...env },
  });
  if (created.code !== 0) throw new Error(`kraul topics create failed:\n${created.stderr}`);
}

/** Fast group settings: a member that vanishes is noticed in seconds, not the default ten. */
const FAST_SESSION = '3s';

/** Starts one crawler of the cluster of `prefix`. */
export function startCrawler(prefix: string, cwd: string): Promise<RoleProcess> {
  return startRole('crawler', prefix, { cwd, args: ['--session-timeout', FAST_SESSION] });
}

/** Starts a frontier (state under `<cwd>/frontier`), a strategy and a crawler, all ready. */
export async function startCluster(
  prefix: string,
  cwd: string,
  env: Record<string, string> = {},
  { sessionTimeout = FAST_SESSION }: { sessionTimeout?: string } = {},
): Promise<{ frontier: RoleProcess; strategy: RoleProcess; crawler: RoleProcess }> {
  const session = ['--session-timeout', sessionTimeout];
  const [frontier, strategy, crawler] = await Promise.all([
    startRole('frontier', prefix, {
      cwd,
      args: [...session, '--data-dir', join(cwd, 'frontier'), '--feed-interval', '100ms'],
      env,
    }),
    startRole('strategy', prefix, { cwd, args: session, env }),
    startRole('crawler', prefix, { cwd, args: session, env }),
  ]);
  return { frontier, strategy, crawler };
}

/** Publishes job `id` with `kraul job create`, which also seeds it. */
export async function createJob(
  prefix: string,
  cwd: string,
  id: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<void> {
  const created = await runKraulIn(['job', 'create', id, ...args, '--prefix', prefix], {
    cwd,
    env: { ...brokerEnv(), ...env },
  });
  if (created.code !== 0) throw new Error(`kraul job create failed:\n${created.stderr}`);
}

/** SIGTERMs the roles and waits for them to exit. */
export function stopRoles(roles: readonly RoleProcess[]): Promise<KraulExit[]> {
  for (const role of roles) role.process.signal('SIGTERM');
  return Promise.all(roles.map((role) => role.process.exited));
}
