import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/kraul.ts', import.meta.url));
/** The repository's `./kraul` script, the entry point the README shows. */
const wrapper = fileURLToPath(new URL('../../../../kraul', import.meta.url));

/** How a `kraul` child process ended. */
export interface KraulExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  durationMs: number;
}

export interface StartKraulOptions {
  /** Working directory: where `.kraul/<job>` and relative `--out` files land. */
  cwd: string;
  /** Extra environment; inherited KRAUL_* variables are dropped first so the test decides them all. */
  env?: Record<string, string>;
  /** SIGKILLs the process after this long, so a hung crawl fails its test instead of the suite. Default: 90 s. */
  killAfterMs?: number;
  /** Start through the repository's `./kraul` bash script instead of `node bin/kraul.ts`. Default: false. */
  viaScript?: boolean;
}

/** A running `kraul` command, started the way a user starts it: its own process, real signals. */
export interface KraulProcess {
  readonly child: ChildProcess;
  /** What the process has written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is complete. */
  readonly exited: Promise<KraulExit>;
  /** Sends a signal, as Ctrl-C (SIGINT) or a service manager (SIGTERM) does. */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `node services/cli/bin/kraul.ts <args>` (or `./kraul <args>`) as a child process. */
export function startKraul(args: readonly string[], options: StartKraulOptions): KraulProcess {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('KRAUL_')) env[name] = value;
  }
  Object.assign(env, options.env);
  const startedAt = performance.now();
  const [command, entry] = options.viaScript ? ['bash', wrapper] : [process.execPath, bin];
  const child = spawn(command, [entry, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
  const exited = new Promise<KraulExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - startedAt });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs `kraul <args>` to the end. */
export function runKraulIn(args: readonly string[], options: StartKraulOptions): Promise<KraulExit> {
  return startKraul(args, options).exited;
}
