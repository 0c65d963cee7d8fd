import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '@kraul/config';
import {
  type CrawlDefinition,
  CrawlDefinitionError,
  type DefinitionSeed,
  definitionJob,
  importDefinition,
  isModulePath,
  moduleTarget,
} from '@kraul/framework';
import { type Job, job as jobSchema } from '@kraul/protocol';
import { CliUsageError, JobOptionsError, type OptionProblem } from './errors.ts';
import { jobFlagsSchema } from './job-options.ts';

/** Whether a command's argument names a crawl module rather than a URL. */
export function isCrawlModuleArgument(argument: string): boolean {
  return /\.(ts|mts|js|mjs)$/.test(argument) && !/^https?:/i.test(argument);
}

/** Job flags that may override a definition's settings on the command line. */
const OVERRIDABLE = [
  'scope',
  'maxDepth',
  'maxPages',
  'maxPagesPerHost',
  'delay',
  'concurrencyPerHost',
  'robots',
  'allowPrivate',
  'allowAddress',
] as const;
type Overridable = (typeof OVERRIDABLE)[number];

export interface LoadedCrawlModule {
  definition: CrawlDefinition;
  job: Job;
  seeds: DefinitionSeed[];
}

/**
 * A crawl module and the job it describes. `module` is what the job records for the workers
 * that load it: the module's absolute path by default, or `recordAs` (the path inside a
 * compose image, or an installed package's name). Scope, limit, politeness and safety flags
 * given on the command line override the definition; other job flags are refused.
 */
export async function loadCrawlModule(
  argument: string,
  options: { id?: string; recordAs?: string; flags: Record<string, unknown> },
): Promise<LoadedCrawlModule> {
  const path = isModulePath(argument) || existsSync(argument) ? resolve(argument) : argument;
  if (isModulePath(path) && !existsSync(path))
    throw new CliUsageError('cli.crawl_module_missing', `${argument}: no such crawl module`, { path });
  let definition: CrawlDefinition;
  try {
    definition = await importDefinition(moduleTarget(path));
  } catch (error) {
    if (error instanceof CrawlDefinitionError)
      throw new CliUsageError('cli.invalid_crawl_module', error.message, { path }, { cause: error });
    throw error;
  }
  const overrides = readOverrides(options.flags);
  try {
    const { job, seeds } = definitionJob(definition, {
      module: options.recordAs ?? path,
      ...(options.id === undefined ? {} : { id: options.id }),
    });
    return { definition, job: applyOverrides(job, overrides), seeds };
  } catch (error) {
    if (error instanceof CrawlDefinitionError)
      throw new CliUsageError('cli.invalid_crawl_module', error.message, { path }, { cause: error });
    throw error;
  }
}

function readOverrides(flags: Record<string, unknown>): Partial<Record<Overridable, unknown>> {
  const given: Record<string, unknown> = {};
  const problems: OptionProblem[] = [];
  for (const key of Object.keys(jobFlagsSchema.shape)) {
    const value = flags[key];
    // --no-robots is the only way to set robots, and true is its untouched default.
    if (value === undefined || (key === 'robots' && value === true)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if ((OVERRIDABLE as readonly string[]).includes(key)) given[key] = value;
    else if (key !== 'output')
      problems.push({
        source: `--${kebab(key)}`,
        reason: 'set it in the crawl definition, not on the command line',
      });
  }
  if (problems.length > 0) throw new JobOptionsError(problems);
  const mask = Object.fromEntries(Object.keys(given).map((key) => [key, true])) as Partial<
    Record<Overridable, true>
  >;
  const schema = jobFlagsSchema.pick(mask);
  try {
    return loadConfig(schema, { env: {}, flags: given }).config as Partial<Record<Overridable, unknown>>;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new JobOptionsError(
      error.problems.map((problem) => ({
        source: problem.source ?? problem.key,
        ...(problem.value === undefined ? {} : { value: problem.value }),
        reason: problem.reason,
      })),
    );
  }
}

function applyOverrides(job: Job, given: Partial<Record<Overridable, unknown>>): Job {
  if (Object.keys(given).length === 0) return job;
  const { scope, politeness, safety } = job.settings;
  const pick = <T>(key: Overridable, fallback: T): T => (key in given ? (given[key] as T) : fallback);
  return jobSchema.parse({
    ...job,
    settings: {
      ...job.settings,
      scope: {
        ...scope,
        mode: pick('scope', scope.mode),
        maxDepth: pick('maxDepth', scope.maxDepth),
        maxPages: pick('maxPages', scope.maxPages),
        maxPagesPerHost: pick('maxPagesPerHost', scope.maxPagesPerHost),
      },
      politeness: {
        ...politeness,
        delayMs: pick('delay', politeness.delayMs),
        concurrencyPerHost: pick('concurrencyPerHost', politeness.concurrencyPerHost),
        respectRobots: pick('robots', politeness.respectRobots),
      },
      safety: {
        allowPrivateNetworks: pick('allowPrivate', safety.allowPrivateNetworks),
        allowedAddresses: [...safety.allowedAddresses, ...pick<string[]>('allowAddress', [])],
      },
    },
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
