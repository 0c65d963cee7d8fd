import { join } from 'node:path';
import { REPO_ROOT, runCommand } from './child-script.ts';

const BIOME = join(REPO_ROOT, 'node_modules', '.bin', 'biome');

/**
 * The markdown as the repository's formatter writes it (tables aligned), so a written
 * report passes `npm run lint` as it is. `path` picks the formatter's settings for the file.
 */
export function formatMarkdown(markdown: string, path: string): Promise<string> {
  return runCommand(BIOME, ['format', `--stdin-file-path=${path}`], markdown);
}
