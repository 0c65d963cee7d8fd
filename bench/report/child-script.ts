import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: every command the report names runs from there. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `node <script> <args>` from the repository root; rejects on a non-zero exit, with its stderr. */
export function runNodeScript(script: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `node ${[script, ...args].join(' ')} failed (code ${code}, signal ${signal}):\n${stderr}`,
          ),
        );
    });
  });
}

/** The command line a report names for a script. */
export function commandOf(script: string, args: readonly string[] = []): string {
  return ['node', script, ...args].join(' ');
}
