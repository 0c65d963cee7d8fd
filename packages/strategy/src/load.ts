import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Job, KraulError } from '@kraul/protocol';
import { BUILTIN_STRATEGIES } from './builtin.ts';
import type { CrawlStrategy } from './types.ts';

function isStrategy(value: unknown): value is CrawlStrategy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CrawlStrategy).name === 'string' &&
    typeof (value as CrawlStrategy).scoreLink === 'function'
  );
}

/**
 * The strategy a job asks for: a built-in one by name, or a user module (path relative to
 * `cwd`, or a package name) whose default export or `strategy` export is a CrawlStrategy.
 */
export async function loadStrategy(job: Job, cwd = process.cwd()): Promise<CrawlStrategy> {
  const settings = job.settings.strategy;
  if (settings.name !== 'module') return BUILTIN_STRATEGIES[settings.name]!;
  const specifier = settings.module;
  if (!specifier) {
    throw new KraulError(
      'strategy.no_module',
      `job ${job.id}: strategy 'module' needs settings.strategy.module`,
      {
        job: job.id,
      },
    );
  }
  const target =
    specifier.startsWith('.') || isAbsolute(specifier)
      ? pathToFileURL(resolve(cwd, specifier)).href
      : specifier;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    throw new KraulError(
      'strategy.load_failed',
      `job ${job.id}: cannot load strategy module ${specifier}`,
      {
        job: job.id,
        module: specifier,
      },
      { cause: error },
    );
  }
  // A crawl definition (defineCrawl) carries its strategy as `strategy`.
  const exported = loaded['default'] ?? loaded['strategy'];
  const candidate = isStrategy(exported)
    ? exported
    : (exported as { strategy?: unknown } | undefined)?.strategy;
  if (!isStrategy(candidate)) {
    throw new KraulError(
      'strategy.invalid_module',
      `job ${job.id}: ${specifier} exports no strategy (an object with a name and a scoreLink function, as default or 'strategy' export)`,
      { job: job.id, module: specifier },
    );
  }
  return candidate;
}
