import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/kraul.ts', import.meta.url));

export interface KraulRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunKraulOptions {
  /** Extra environment; every inherited KRAUL_* variable is dropped first so the test decides them all. */
  env?: Record<string, string>;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** Kills the command after this long. Default: 60 s. */
  timeoutMs?: number;
  /** Sends `signal` once stdout contains `text`, as a user pressing Ctrl-C after seeing it. */
  interruptWhen?: { text: string; signal: NodeJS.Signals };
}

/** Runs the real `kraul` entry point in a child process: real exit code, real stdout and stderr. */
export function runKraul(args: readonly string[], options: RunKraulOptions = {}): Promise<KraulRun> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('KRAUL_')) env[name] = value;
  }
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const when = options.interruptWhen;
      if (when && !interrupted && stdout.includes(when.text)) {
        interrupted = true;
        child.kill(when.signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
