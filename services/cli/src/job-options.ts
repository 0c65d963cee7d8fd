import { isIP } from 'node:net';
import { ConfigError, formatDurationSetting, loadConfig, parseDuration } from '@kraul/config';
import {
  type Job,
  type JobInput,
  jobId,
  jobPoliteness,
  job as jobSchema,
  jobScope,
  jobSettings,
} from '@kraul/protocol';
import { normalizeUrl } from '@kraul/url';
import type { Command } from 'commander';
import { z } from 'zod';
import { JobOptionsError, type OptionProblem } from './errors.ts';

/** A duration flag (`500ms`, `10s`, `5m`, `1h`, `1d` or plain milliseconds) within bounds. */
function durationFlag(minMs: number, maxMs: number) {
  return z.union([z.number(), z.string()]).transform((input, ctx) => {
    const ms = parseDuration(input);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 10s, 5m, 1h or 1d' });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      const range = Number.isFinite(maxMs)
        ? `from ${formatDurationSetting(minMs)} to ${formatDurationSetting(maxMs)}`
        : `of at least ${formatDurationSetting(minMs)}`;
      ctx.addIssue({ code: 'custom', message: `expected a duration ${range}` });
      return z.NEVER;
    }
    return ms;
  });
}

const regexPattern = z
  .string()
  .max(1_024)
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid regular expression: ${(error as Error).message}`,
      });
    }
  });

const addressOrCidr = z
  .string()
  .max(64)
  .refine(isAddressOrCidr, 'expected an IP address or a CIDR such as 127.0.0.0/8 or fd00::/8');

function isAddressOrCidr(text: string): boolean {
  const [address = '', prefix, extra] = text.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The job settings a command line can set, one key per flag (`maxDepth` is `--max-depth`).
 * Bounds mirror the protocol's job schema so a bad value is named by its flag, with the
 * value as typed, before anything is published.
 */
export const jobFlagsSchema = z.object({
  scope: jobScope.shape.mode.describe(
    "Which links stay in the crawl: the seeds' hosts, their registrable domains, or any",
  ),
  maxDepth: jobScope.shape.maxDepth.describe(
    'Links followed from a seed before the crawl stops going deeper',
  ),
  maxPages: jobScope.shape.maxPages.describe('Pages fetched by the whole job; unset means no limit'),
  maxPagesPerHost: jobScope.shape.maxPagesPerHost.describe('Pages fetched per host; unset means no limit'),
  delay: durationFlag(0, 3_600_000)
    .default(1_000)
    .describe('Least time between two requests to one host (robots.txt Crawl-delay can raise it)'),
  concurrencyPerHost: jobPoliteness.shape.concurrencyPerHost.describe('Requests to one host at once'),
  robots: z.boolean().default(true).describe('Obey robots.txt'),
  allow: z
    .array(regexPattern)
    .max(256)
    .default([])
    .describe('Regular expression a URL must match (any one of them)'),
  deny: z.array(regexPattern).max(256).default([]).describe('Regular expression that excludes a URL'),
  strategy: z
    .enum(['breadth-first', 'depth-first', 'best-first', 'module'])
    .default('breadth-first')
    .describe('Order of the crawl: breadth-first, depth-first, best-first (keywords) or module'),
  strategyModule: z
    .string()
    .min(1)
    .max(1_024)
    .optional()
    .describe('Path or package of a strategy module (with --strategy module)'),
  keywords: z
    .array(z.string().min(1).max(128))
    .max(256)
    .default([])
    .describe("Words that raise a link's score with best-first"),
  output: z
    .enum(['none', 'text', 'html'])
    .default('none')
    .describe('What each page publishes to the pages topic'),
  recrawl: durationFlag(1_000, Number.POSITIVE_INFINITY)
    .optional()
    .describe('Fetch each page again after this long'),
  allowPrivate: z
    .boolean()
    .default(false)
    .describe(
      'Allow private, loopback and link-local addresses; cloud metadata endpoints such as 169.254.169.254 stay refused',
    ),
  allowAddress: z
    .array(addressOrCidr)
    .max(1_024)
    .default([])
    .describe('Address or CIDR allowed whatever its range, cloud metadata included'),
  hostKey: z
    .enum(['hostname', 'domain'])
    .default('hostname')
    .describe('What politeness groups URLs by: the hostname or the registrable domain'),
});

export type JobFlags = z.output<typeof jobFlagsSchema>;

type JobFlagKey = keyof JobFlags;

interface JobFlagDefinition {
  key: JobFlagKey;
  flags: string;
  /** Repeatable flag: each use adds one value. */
  repeatable?: boolean;
}

/** The flags in the order help lists them. */
const JOB_FLAGS: readonly JobFlagDefinition[] = [
  { key: 'scope', flags: '--scope <mode>' },
  { key: 'maxDepth', flags: '--max-depth <n>' },
  { key: 'maxPages', flags: '--max-pages <n>' },
  { key: 'maxPagesPerHost', flags: '--max-pages-per-host <n>' },
  { key: 'delay', flags: '--delay <duration>' },
  { key: 'concurrencyPerHost', flags: '--concurrency-per-host <n>' },
  { key: 'robots', flags: '--no-robots' },
  { key: 'allow', flags: '--allow <regex>', repeatable: true },
  { key: 'deny', flags: '--deny <regex>', repeatable: true },
  { key: 'strategy', flags: '--strategy <name>' },
  { key: 'strategyModule', flags: '--strategy-module <path>' },
  { key: 'keywords', flags: '--keywords <list>' },
  { key: 'output', flags: '--output <kind>' },
  { key: 'recrawl', flags: '--recrawl <duration>' },
  { key: 'allowPrivate', flags: '--allow-private' },
  { key: 'allowAddress', flags: '--allow-address <cidr>', repeatable: true },
  { key: 'hostKey', flags: '--host-key <mode>' },
];

function flagOf(key: JobFlagKey): string {
  return JOB_FLAGS.find((flag) => flag.key === key)!.flags.split(' ')[0]!;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function helpOf(key: JobFlagKey): string {
  // A negated flag says what it turns off.
  if (key === 'robots') return 'ignore robots.txt (obeyed by default)';
  const schema = jobFlagsSchema.shape[key];
  const text = schema.description ?? '';
  const description = text.charAt(0).toLowerCase() + text.slice(1);
  const parsed = schema.safeParse(undefined);
  const fallback = parsed.success ? parsed.data : undefined;
  if (
    fallback === undefined ||
    (Array.isArray(fallback) && fallback.length === 0) ||
    typeof fallback === 'boolean'
  ) {
    return description;
  }
  const shown = key === 'delay' ? formatDurationSetting(fallback as number) : String(fallback);
  return `${description} (default: ${shown})`;
}

/**
 * Adds the job's scope, limit, politeness, strategy and output flags to a command
 * (`kraul job create` and `kraul run` take the same ones). Repeat --allow, --deny and
 * --allow-address for several values.
 */
export function addJobSettingOptions(command: Command): Command {
  for (const flag of JOB_FLAGS) {
    const help = flag.repeatable ? `${helpOf(flag.key)}; repeat for several` : helpOf(flag.key);
    if (flag.repeatable) command.option(flag.flags, help, collect);
    else command.option(flag.flags, help);
  }
  return command;
}

/** Only the values of job flags, out of everything commander parsed for a command. */
function pickJobFlags(options: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const { key } of JOB_FLAGS) if (options[key] !== undefined) picked[key] = options[key];
  return picked;
}

/** Stage one: every flag read and checked on its own. Problems are collected, not thrown. */
function readJobFlags(options: Record<string, unknown>, problems: OptionProblem[]): JobFlags | undefined {
  try {
    return loadConfig(jobFlagsSchema, { env: {}, flags: pickJobFlags(options) }).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      problems.push({
        source: problem.source ?? problem.key,
        ...(problem.value === undefined ? {} : { value: problem.value }),
        reason: problem.reason,
      });
    }
    return undefined;
  }
}

/** The job settings of a command line. Throws a JobOptionsError naming every bad flag. */
export function jobSettingsFromFlags(options: Record<string, unknown>): Job['settings'] {
  const problems: OptionProblem[] = [];
  const flags = readJobFlags(options, problems);
  if (flags) problems.push(...crossFlagProblems(flags));
  if (problems.length > 0 || !flags) throw new JobOptionsError(problems);
  const parsed = jobSettings.safeParse(settingsOf(flags));
  if (!parsed.success) throw new JobOptionsError(schemaProblems(parsed.error.issues, ['settings']));
  return parsed.data;
}

/** Problems the protocol's schema found, each named by the flag behind the field. */
function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  under: readonly string[],
  idSource?: string,
  seedSource?: string,
): OptionProblem[] {
  return issues.map((issue) => ({
    source: sourceOfJobPath([...under, ...issue.path.map(String)], idSource, seedSource),
    reason: issue.message,
  }));
}

function crossFlagProblems(flags: JobFlags): OptionProblem[] {
  if (flags.strategy === 'module' && flags.strategyModule === undefined) {
    return [{ source: '--strategy-module', reason: 'required with --strategy module' }];
  }
  if (flags.strategy !== 'module' && flags.strategyModule !== undefined) {
    return [
      {
        source: '--strategy-module',
        value: flags.strategyModule,
        reason: `only used with --strategy module (the strategy is ${flags.strategy})`,
      },
    ];
  }
  return [];
}

/** The settings the flags set; the job schema fills in the rest with its defaults. */
function settingsOf(flags: JobFlags): JobInput['settings'] {
  return {
    hostKey: flags.hostKey,
    scope: {
      mode: flags.scope,
      allow: flags.allow,
      deny: flags.deny,
      maxDepth: flags.maxDepth,
      ...(flags.maxPages === undefined ? {} : { maxPages: flags.maxPages }),
      ...(flags.maxPagesPerHost === undefined ? {} : { maxPagesPerHost: flags.maxPagesPerHost }),
    },
    politeness: {
      delayMs: flags.delay,
      concurrencyPerHost: flags.concurrencyPerHost,
      respectRobots: flags.robots,
    },
    safety: { allowPrivateNetworks: flags.allowPrivate, allowedAddresses: flags.allowAddress },
    strategy: {
      name: flags.strategy,
      keywords: flags.keywords,
      ...(flags.strategyModule === undefined ? {} : { module: flags.strategyModule }),
    },
    output: { pages: flags.output },
    ...(flags.recrawl === undefined ? {} : { recrawlIntervalMs: flags.recrawl }),
  };
}

export interface BuildJobInput {
  /** The job id, checked against the protocol's rule. */
  id: string;
  /** Seed URLs as typed; each is normalised, duplicates dropped. */
  seeds: readonly string[];
  /** Everything commander parsed for the command; only the job flags are read. */
  options: Record<string, unknown>;
  /** How the seeds were given, for messages. Default `--seed`. */
  seedSource?: string;
  /** How the id was given, for messages. Default `<id>`. */
  idSource?: string;
  /** createdAt and updatedAt. Default: now. */
  now?: number;
}

/**
 * Turns a command line into a job message, validated by the protocol's job schema.
 * Every bad value (id, each seed, each flag) is named in one JobOptionsError.
 */
export function buildJob(input: BuildJobInput): Job {
  const problems: OptionProblem[] = [];
  const idSource = input.idSource ?? '<id>';
  const seedSource = input.seedSource ?? '--seed';
  const id = jobId.safeParse(input.id);
  if (!id.success) problems.push({ source: idSource, value: input.id, reason: id.error.issues[0]!.message });

  const seeds: string[] = [];
  if (input.seeds.length === 0)
    problems.push({ source: seedSource, reason: 'at least one seed URL is required' });
  for (const seed of input.seeds) {
    try {
      const url = normalizeUrl(seed);
      if (!seeds.includes(url)) seeds.push(url);
    } catch (error) {
      problems.push({ source: seedSource, value: seed, reason: (error as Error).message });
    }
  }

  const flags = readJobFlags(input.options, problems);
  if (flags) problems.push(...crossFlagProblems(flags));
  if (problems.length > 0 || !flags) throw new JobOptionsError(problems);

  const now = input.now ?? Date.now();
  const parsed = jobSchema.safeParse({
    type: 'job',
    id: input.id,
    state: 'active',
    seeds,
    settings: settingsOf(flags),
    createdAt: now,
    updatedAt: now,
  });
  if (!parsed.success) {
    // The flags' own bounds mirror the schema; this catches any the two disagree on.
    throw new JobOptionsError(schemaProblems(parsed.error.issues, [], idSource, seedSource));
  }
  return parsed.data;
}

const SETTING_FLAGS: Readonly<Record<string, JobFlagKey>> = {
  hostKey: 'hostKey',
  'scope.mode': 'scope',
  'scope.allow': 'allow',
  'scope.deny': 'deny',
  'scope.maxDepth': 'maxDepth',
  'scope.maxPages': 'maxPages',
  'scope.maxPagesPerHost': 'maxPagesPerHost',
  'politeness.delayMs': 'delay',
  'politeness.concurrencyPerHost': 'concurrencyPerHost',
  'politeness.respectRobots': 'robots',
  'safety.allowPrivateNetworks': 'allowPrivate',
  'safety.allowedAddresses': 'allowAddress',
  'strategy.name': 'strategy',
  'strategy.module': 'strategyModule',
  'strategy.keywords': 'keywords',
  'output.pages': 'output',
  recrawlIntervalMs: 'recrawl',
};

/** The flag behind a field of the job message, e.g. `settings.scope.maxDepth` → `--max-depth`. */
export function sourceOfJobPath(path: readonly string[], idSource = '<id>', seedSource = '--seed'): string {
  if (path[0] === 'id') return idSource;
  if (path[0] === 'seeds') return seedSource;
  if (path[0] === 'settings') {
    const key = SETTING_FLAGS[path.slice(1, 3).join('.')] ?? SETTING_FLAGS[path[1] ?? ''];
    if (key) return flagOf(key);
  }
  return path.join('.') || '(job)';
}
