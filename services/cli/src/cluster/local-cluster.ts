import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandError } from '../errors.ts';

/** The `kraul` entry point the roles are started with. */
const KRAUL_BIN = fileURLToPath(new URL('../../bin/kraul.ts', import.meta.url));
/** The repository's broker script (a checkout only). */
export const KAFKA_SCRIPT = fileURLToPath(new URL('../../../../scripts/kafka.sh', import.meta.url));

export type ClusterRole = 'frontier' | 'strategy' | 'crawler';

/** One role process of a local cluster, as recorded in `cluster.json`. */
export interface ClusterProcess {
  /** `frontier`, `strategy`, `crawler-1`, ... */
  name: string;
  role: ClusterRole;
  pid: number;
  /**
   * Port of its /metrics, /healthz and /readyz on 127.0.0.1: the role binds a free one itself
   * and names it in its log; 0 until `up` has read it there.
   */
  metricsPort: number;
  log: string;
  /** Where this start's output begins in `log` (a log file is appended to across starts). */
  logOffset: number;
}

/** What `kraul cluster up` started, so `status` and `down` find it again. */
export interface ClusterState {
  prefix: string;
  brokers: string[];
  startedAt: number;
  processes: ClusterProcess[];
}

export interface ClusterUpOptions {
  /** Folder of `cluster.json`, `logs/` and the frontier's `data/`. */
  dir: string;
  prefix: string;
  brokers: string[];
  crawlers: number;
  /** The environment of the roles (KRAUL_* settings pass through). */
  env: Record<string, string | undefined>;
  /** How long each role has to report ready. */
  readyTimeoutMs: number;
}

const stateFile = (dir: string): string => join(dir, 'cluster.json');

export function readClusterState(dir: string): ClusterState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch (error) {
    throw new CommandError(
      'cli.cluster_state_unreadable',
      `${file}: ${(error as Error).message}`,
      { file },
      {
        cause: error,
      },
    );
  }
}

/**
 * The port a role's telemetry server bound, from the line it logs once listening, or
 * undefined while that line is not written. The role binds port 0 itself: a port picked here
 * and handed over could be taken by another program meanwhile, and the role then fails to
 * start while whatever holds the port may answer /readyz in its name.
 */
function loggedMetricsPort(entry: ClusterProcess): number | undefined {
  let text: string;
  try {
    const fd = openSync(entry.log, 'r');
    try {
      const length = Math.max(0, statSync(entry.log).size - entry.logOffset);
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, entry.logOffset);
      text = buffer.toString('utf8', 0, read);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"metricsPort"')) continue;
    try {
      const record = JSON.parse(line) as { pid?: unknown; metricsPort?: unknown };
      if (record.pid === entry.pid && typeof record.metricsPort === 'number') return record.metricsPort;
    } catch {
      // A line cut short while written: read again on the next poll.
    }
  }
  return undefined;
}

/**
 * True when `pid` is alive and is one of ours: a `kraul <role>` process started from this
 * checkout. A pid the system gave to another program since is never signalled.
 */
export function isClusterProcess(entry: Pick<ClusterProcess, 'pid' | 'role'>): boolean {
  try {
    process.kill(entry.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(KRAUL_BIN) && cmdline.includes(entry.role);
  } catch {
    // No /proc (macOS): the pid is alive, and was recorded by `up`.
    return true;
  }
}

async function isReady(port: number): Promise<boolean> {
  try {
    return (
      (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200
    );
  } catch {
    return false;
  }
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts one role detached from this process, its output appended to its own log file. */
async function startRole(
  name: string,
  role: ClusterRole,
  args: readonly string[],
  options: ClusterUpOptions,
): Promise<ClusterProcess> {
  const log = join(resolve(options.dir), 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  try {
    const logOffset = statSync(log).size;
    const child = spawn(
      process.execPath,
      [KRAUL_BIN, role, '--metrics-host', '127.0.0.1', '--metrics-port', '0', ...args],
      {
        cwd: options.dir,
        env: {
          ...options.env,
          KRAUL_KAFKA_BROKERS: options.brokers.join(','),
          KRAUL_KAFKA_TOPIC_PREFIX: options.prefix,
          KRAUL_LOG_FORMAT: 'json',
        },
        detached: true,
        stdio: ['ignore', fd, fd],
      },
    );
    child.unref();
    if (child.pid === undefined)
      throw new CommandError('cli.cluster_spawn_failed', `could not start ${name}`, {});
    return { name, role, pid: child.pid, metricsPort: 0, log, logOffset };
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts a frontier, a strategy and `crawlers` crawlers as separate processes, records them in
 * `<dir>/cluster.json` and waits until each reports ready. If one fails, every role started is
 * stopped again and the error carries the end of its log.
 */
export async function clusterUp(options: ClusterUpOptions): Promise<ClusterState> {
  const existing = readClusterState(options.dir);
  if (existing?.processes.some(isClusterProcess)) {
    throw new CommandError(
      'cli.cluster_running',
      `a cluster is already running from ${options.dir} (prefix ${existing.prefix}): \`kraul cluster down\` first`,
      { dir: options.dir },
    );
  }
  mkdirSync(join(options.dir, 'logs'), { recursive: true });
  const roles: [string, ClusterRole, string[]][] = [
    ['frontier', 'frontier', ['--data-dir', join(resolve(options.dir), 'data', options.prefix)]],
    ['strategy', 'strategy', []],
    ...Array.from({ length: options.crawlers }, (_, index): [string, ClusterRole, string[]] => [
      `crawler-${index + 1}`,
      'crawler',
      [],
    ]),
  ];
  const state: ClusterState = {
    prefix: options.prefix,
    brokers: options.brokers,
    startedAt: Date.now(),
    processes: [],
  };
  try {
    for (const [name, role, args] of roles) {
      state.processes.push(await startRole(name, role, args, options));
      // Recorded as each starts: `down` finds every process even if `up` dies half way.
      writeFileSync(stateFile(options.dir), `${JSON.stringify(state, null, 2)}\n`);
    }
    await Promise.all(state.processes.map((entry) => awaitReady(entry, options.readyTimeoutMs)));
    // With the ports each role bound: `status` asks them.
    writeFileSync(stateFile(options.dir), `${JSON.stringify(state, null, 2)}\n`);
  } catch (error) {
    await clusterDown(options.dir, 10_000);
    throw error;
  }
  return state;
}

/** Waits until the role names its port and reports ready there; records the port in `entry`. */
async function awaitReady(entry: ClusterProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (entry.metricsPort === 0) entry.metricsPort = loggedMetricsPort(entry) ?? 0;
    if (entry.metricsPort !== 0 && (await isReady(entry.metricsPort))) return;
    if (!isClusterProcess(entry)) {
      throw new CommandError(
        'cli.cluster_role_exited',
        `${entry.name} exited while starting; the end of ${entry.log}:\n${logTail(entry.log)}`,
        { role: entry.name },
      );
    }
    if (Date.now() > deadline) {
      throw new CommandError(
        'cli.cluster_role_not_ready',
        `${entry.name} did not report ready within ${timeoutMs} ms; the end of ${entry.log}:\n${logTail(entry.log)}`,
        { role: entry.name },
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

export interface ProcessStatus extends ClusterProcess {
  running: boolean;
  ready: boolean;
}

export async function clusterStatus(
  dir: string,
): Promise<{ state: ClusterState; processes: ProcessStatus[] } | undefined> {
  const state = readClusterState(dir);
  if (!state) return undefined;
  const processes = await Promise.all(
    state.processes.map(async (entry) => {
      const running = isClusterProcess(entry);
      return {
        ...entry,
        running,
        ready: running && entry.metricsPort !== 0 && (await isReady(entry.metricsPort)),
      };
    }),
  );
  return { state, processes };
}

/**
 * Stops every process of the cluster: SIGTERM (each finishes its work in hand, commits and
 * leaves its group), crawlers first so their reports reach the strategy and frontier, then
 * SIGKILL for any still running after `graceMs`. Removes `cluster.json`. Returns what it stopped.
 */
export async function clusterDown(
  dir: string,
  graceMs: number,
): Promise<{ stopped: ClusterProcess[]; killed: ClusterProcess[] } | undefined> {
  const state = readClusterState(dir);
  if (!state) return undefined;
  const order: ClusterRole[] = ['crawler', 'strategy', 'frontier'];
  const stopped: ClusterProcess[] = [];
  const killed: ClusterProcess[] = [];
  for (const role of order) {
    const group = state.processes.filter((entry) => entry.role === role && isClusterProcess(entry));
    for (const entry of group) process.kill(entry.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (group.some(isClusterProcess) && Date.now() < deadline) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    for (const entry of group) {
      if (isClusterProcess(entry)) {
        process.kill(entry.pid, 'SIGKILL');
        killed.push(entry);
      } else stopped.push(entry);
    }
  }
  // A SIGKILLed process is gone once the kernel reaps it; wait for that before saying so.
  const deadline = Date.now() + 5_000;
  while (killed.some(isClusterProcess) && Date.now() < deadline) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  rmSync(stateFile(dir), { force: true });
  return { stopped, killed };
}
