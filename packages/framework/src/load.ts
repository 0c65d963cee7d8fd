import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CrawlDefinition, CrawlDefinitionError, isCrawlDefinition } from './define.ts';

/** Whether a job's module names a file (a path) rather than an installed package. */
export function isModulePath(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');
}

/** What `import()` takes for a job's module: a file: URL for a path (relative to `cwd`), the package name otherwise. */
export function moduleTarget(specifier: string, cwd = process.cwd()): string {
  if (specifier.startsWith('file:')) return specifier;
  return isModulePath(specifier) ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
}

/**
 * The crawl definition a module exports (default export, or `crawl`). TypeScript modules load
 * as they are: Node strips the types.
 */
export async function importDefinition(target: string): Promise<CrawlDefinition> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CrawlDefinitionError(`cannot load crawl module ${target}`, [reason]);
  }
  const candidate = loaded['default'] ?? loaded['crawl'];
  if (!isCrawlDefinition(candidate))
    throw new CrawlDefinitionError(target, [
      "exports no crawl definition: use `export default defineCrawl({...})` (from '@kraul/framework')",
    ]);
  return candidate;
}
