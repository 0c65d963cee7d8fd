import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './child-script.ts';

const BIOME = join(REPO_ROOT, 'node_modules', '.bin', 'biome');

/**
 * The markdown as the repository's formatter writes it (tables aligned), so a written
 * report passes `npm run lint` as it is. `path` picks the formatter's settings for the file.
 */
export function formatMarkdown(markdown: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIOME, ['format', `--stdin-file-path=${path}`], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`biome could not format the report (code ${code}):\n${stderr}`));
    });
    child.stdin.end(markdown);
  });
}
