import { z } from 'zod';
import { epochMs, jobId, url } from './common.ts';

export const JOB_STATES = ['active', 'paused', 'stopped'] as const;

export const jobScope = z.object({
  /** Which links stay in the crawl: the seeds' hosts, their registrable domains, or anything. */
  mode: z.enum(['host', 'domain', 'any']).default('domain'),
  /** Regular expressions (JavaScript syntax) a URL must match one of, when given. */
  allow: z.array(z.string().max(1_024)).max(256).default([]),
  /** Regular expressions that exclude a URL. */
  deny: z.array(z.string().max(1_024)).max(256).default([]),
  maxDepth: z.number().int().min(0).max(10_000).default(20),
  maxPages: z.number().int().min(1).optional(),
  maxPagesPerHost: z.number().int().min(1).optional(),
  maxUrlLength: z.number().int().min(64).max(8_192).default(2_048),
  /** Follow rel=nofollow links and pages marked nofollow. */
  followNofollow: z.boolean().default(false),
});
export type JobScope = z.infer<typeof jobScope>;

export const jobPoliteness = z.object({
  /** Least time between two requests to one host; robots.txt Crawl-delay and Retry-After can raise it. */
  delayMs: z.number().int().min(0).max(3_600_000).default(1_000),
  concurrencyPerHost: z.number().int().min(1).max(64).default(1),
  respectRobots: z.boolean().default(true),
  /** Longest robots.txt Crawl-delay honoured; a larger value is clamped to it. */
  maxCrawlDelayMs: z.number().int().min(0).default(60_000),
});
export type JobPoliteness = z.infer<typeof jobPoliteness>;

export const jobSafety = z.object({
  /**
   * Allow private, loopback and link-local addresses (after DNS resolution). Cloud metadata
   * endpoints (169.254.169.254 and the like) stay refused unless listed in `allowedAddresses`.
   */
  allowPrivateNetworks: z.boolean().default(false),
  /** Exact addresses or CIDRs allowed whatever their range, e.g. a test site on 127.0.0.2. */
  allowedAddresses: z.array(z.string().max(64)).max(1_024).default([]),
});

export const jobStrategy = z.object({
  /** Built-in strategies, or 'module' for a user strategy loaded from `module`. */
  name: z.enum(['breadth-first', 'depth-first', 'best-first', 'module']).default('breadth-first'),
  /** Path or package name of a module exporting a strategy (when name is 'module'). */
  module: z.string().max(1_024).optional(),
  /** Keywords that raise a link's score with best-first (matched in URL and anchor text). */
  keywords: z.array(z.string().max(128)).max(256).default([]),
});

export const jobOutput = z.object({
  /** What the crawler publishes to the pages topic for each page. */
  pages: z.enum(['none', 'text', 'html']).default('none'),
  /** Cap on the characters of text or html per page document. */
  maxChars: z.number().int().min(0).max(50_000_000).default(1_000_000),
});

export const jobHandler = z.object({
  /**
   * The crawl definition (a module whose default export is `defineCrawl({...})`): a path,
   * absolute or relative to the crawler's working directory, or an installed package name.
   */
  module: z.string().min(1).max(1_024),
  /** Longest a page handler may run on one page before it is cut off (a failure of class handler_timeout). */
  timeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
});
export type JobHandler = z.infer<typeof jobHandler>;

export const jobSettings = z.object({
  /**
   * What politeness and partitioning group URLs by: the hostname, or the registrable
   * domain (every subdomain of example.co.uk shares one queue and one crawler).
   */
  hostKey: z.enum(['hostname', 'domain']).default('hostname'),
  scope: jobScope.default(() => jobScope.parse({})),
  politeness: jobPoliteness.default(() => jobPoliteness.parse({})),
  safety: jobSafety.default(() => jobSafety.parse({})),
  strategy: jobStrategy.default(() => jobStrategy.parse({})),
  output: jobOutput.default(() => jobOutput.parse({})),
  /** Fetch each page again after this long (conditional GET when validators are known). */
  recrawlIntervalMs: z.number().int().min(1_000).optional(),
  /** User code run on every fetched page: items out, links in. None: kraul's own link extraction. */
  handler: jobHandler.optional(),
  /** Attempts per URL before it is recorded as failed. */
  maxAttempts: z.number().int().min(1).max(100).default(3),
});
export type JobSettings = z.infer<typeof jobSettings>;

/** CLI → every role on the compacted jobs topic, keyed by job id. */
export const job = z.object({
  type: z.literal('job'),
  id: jobId,
  state: z.enum(JOB_STATES).default('active'),
  seeds: z.array(url).max(100_000).default([]),
  settings: jobSettings.default(() => jobSettings.parse({})),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type Job = z.infer<typeof job>;
export type JobInput = z.input<typeof job>;
export type JobState = Job['state'];
