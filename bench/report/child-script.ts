import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: every command the report names runs from there. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a command from the repository root, optionally feeding `input` on stdin, and resolves
 * with its stdout; rejects on a non-zero exit, with its stderr.
 */
export function runCommand(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${[command, ...args].join(' ')} failed (code ${code}, signal ${signal}):\n${stderr}`),
        );
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs `node <script> <args>` from the repository root. */
export function runNodeScript(script: string, args: readonly string[] = []): Promise<string> {
  return runCommand(process.execPath, [script, ...args]);
}

/** The command line a report names for a script. */
export function commandOf(script: string, args: readonly string[] = []): string {
  return ['node', script, ...args].join(' ');
}
