// Start-up of the command line and of the roles:
//   node bench/startup.ts [--runs N] [--brokers HOST:PORT] [--root CHECKOUT]
// (--root measures another checkout of kraul, e.g. to compare with a commit before a change).
// - `./kraul --version`: wall time from spawn to exit, and the CPU time of the whole command
//   (the wrapper script, its Node lookup and node itself: the waited-for children's CPU).
// - `kraul crawler|frontier|strategy`: wall time from spawn until /readyz answers 200, and the
//   CPU time the role's process spent until then. Needs a broker (default 127.0.0.1:9092); the
//   topics are created under a prefix of their own.
// Prints one markdown table; medians of N runs (default 10) with the range.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './report/child-script.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    brokers: { type: 'string', default: process.env['KRAUL_KAFKA_BROKERS'] ?? '127.0.0.1:9092' },
    root: { type: 'string', default: REPO_ROOT },
  },
});
const root = flags.root;
const runs = Number(flags.runs);
const kraulScript = join(root, 'kraul');
const kraulBin = join(root, 'services/cli/bin/kraul.ts');
const TICKS_PER_SECOND = 100;

/** CPU seconds of this process's waited-for children so far (Linux: cutime + cstime). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** CPU seconds a running process has spent (utime + stime). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function row(what: string, wall: number[], cpu: number[]): string {
  const range = (values: number[]) =>
    `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
  return `| ${what} | ${range(wall)} | ${range(cpu)} |`;
}

function timeVersion(): { wall: number; cpu: number } {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const result = spawnSync(kraulScript, ['--version'], { cwd: root, encoding: 'utf8' });
  const wall = (performance.now() - started) / 1_000;
  if (result.status !== 0) throw new Error(`./kraul --version failed: ${result.stderr}`);
  return { wall, cpu: childrenCpuSeconds() - cpuBefore };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function timeRole(
  role: string,
  prefix: string,
  dataDir: string,
): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const args = [kraulBin, role, '--brokers', flags.brokers, '--prefix', prefix];
  args.push('--metrics-host', '127.0.0.1', '--metrics-port', String(port), '--log-level', 'warn');
  if (role === 'frontier') args.push('--data-dir', dataDir);
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`kraul ${role} exited before it was ready:\n${stderr}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) {
        const wall = (performance.now() - started) / 1_000;
        return { wall, cpu: processCpuSeconds(child.pid!) };
      }
      if (performance.now() - started > 60_000) throw new Error(`kraul ${role} not ready within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    child.kill('SIGTERM');
    if (!exited) await new Promise((resolve) => child.once('exit', resolve));
  }
}

const lines = ['| command | wall s, median (range) | CPU s, median (range) |', '| --- | --- | --- |'];
const version = Array.from({ length: runs }, timeVersion);
lines.push(
  row(
    '`./kraul --version`',
    version.map((r) => r.wall),
    version.map((r) => r.cpu),
  ),
);

const prefix = `kraul-startup-${process.pid}`;
const create = spawnSync(
  process.execPath,
  [kraulBin, 'topics', 'create', '--brokers', flags.brokers, '--prefix', prefix, '--partitions', '4'],
  { cwd: root, encoding: 'utf8' },
);
if (create.status !== 0) {
  lines.push(`| roles | not measured: no broker at ${flags.brokers} | |`);
} else {
  const dataDir = await mkdtemp(join(tmpdir(), 'kraul-startup-'));
  try {
    for (const role of ['crawler', 'frontier', 'strategy']) {
      const timings: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < runs; i++) timings.push(await timeRole(role, prefix, dataDir));
      lines.push(
        row(
          `\`kraul ${role}\` until /readyz is 200`,
          timings.map((r) => r.wall),
          timings.map((r) => r.cpu),
        ),
      );
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
