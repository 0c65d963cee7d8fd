import { type Job, job as jobSchema } from '@kraul/protocol';
import { normalizeUrl } from '@kraul/url';
import { type CrawlDefinition, CrawlDefinitionError } from './define.ts';
import { type RequestMeta, requestMeta } from './request-data.ts';

export interface DefinitionSeed {
  url: string;
  meta?: RequestMeta;
}

export interface DefinitionJobOptions {
  /** The module workers load: a path or package name, as the job records it. */
  module: string;
  /** Job id; default: the definition's name. */
  id?: string;
  now?: number;
}

/**
 * The job a crawl definition describes, and its seeds with their labels and data. Every bad
 * value is named in one error.
 */
export function definitionJob(
  definition: CrawlDefinition,
  options: DefinitionJobOptions,
): { job: Job; seeds: DefinitionSeed[] } {
  const problems: string[] = [];
  const seeds: DefinitionSeed[] = [];
  const seen = new Set<string>();
  definition.seeds.forEach((seed, index) => {
    const input = typeof seed === 'string' ? { url: seed } : seed;
    try {
      const url = normalizeUrl(input.url);
      const meta = requestMeta(input.label, input.userData);
      if (seen.has(url)) return;
      seen.add(url);
      seeds.push({ url, ...(meta ? { meta } : {}) });
    } catch (error) {
      problems.push(`seeds.${index}: ${(error as Error).message}`);
    }
  });
  const strategy = definition.strategy;
  const { limits = {}, scope = {} } = definition;
  const now = options.now ?? Date.now();
  const parsed = jobSchema.safeParse({
    type: 'job',
    id: options.id ?? definition.name,
    state: 'active',
    seeds: seeds.map((seed) => seed.url),
    settings: {
      scope: {
        ...scope,
        ...(limits.maxDepth === undefined ? {} : { maxDepth: limits.maxDepth }),
        ...(limits.maxPages === undefined ? {} : { maxPages: limits.maxPages }),
        ...(limits.maxPagesPerHost === undefined ? {} : { maxPagesPerHost: limits.maxPagesPerHost }),
      },
      ...(definition.politeness ? { politeness: definition.politeness } : {}),
      ...(definition.safety ? { safety: definition.safety } : {}),
      strategy:
        strategy === undefined || typeof strategy === 'string'
          ? { name: strategy ?? 'breadth-first' }
          : { name: 'module', module: options.module },
      handler: {
        module: options.module,
        ...(limits.handlerTimeoutMs === undefined ? {} : { timeoutMs: limits.handlerTimeoutMs }),
      },
      ...(limits.maxAttempts === undefined ? {} : { maxAttempts: limits.maxAttempts }),
    },
    createdAt: now,
    updatedAt: now,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.').replace(/^settings\./, '')}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success)
    throw new CrawlDefinitionError(`crawl ${definition.name}`, problems);
  return { job: parsed.data, seeds };
}
