import type { CrawlStrategy } from '@kraul/strategy';
import type { CheerioAPI } from 'cheerio';
import type { z } from 'zod';

/** JSON-like data a handler attaches to a request it enqueues; it comes back with that page. */
export type UserData = Record<string, unknown>;

export interface EnqueueOptions {
  /** Routes the page to `handlers[label]`; without one, `handle` gets it. */
  label?: string;
  /** Fetched earlier within its host when higher; the strategy scores it when left out. */
  score?: number;
  /** Data that travels with the request (at most 2,000 characters as JSON). */
  userData?: UserData;
}

/** A seed: a URL, or a URL with the label and data its page gets. */
export type SeedInput = string | { url: string; label?: string; userData?: UserData };

/** A link of the page, as kraul's own extraction found it (absolute, normalised). */
export interface PageLinkInfo {
  url: string;
  text?: string;
  rel?: string[];
  nofollow?: boolean;
}

/** The fetched response a handler sees. */
export interface PageResponse {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  /** Lower-case names; repeated headers joined by ', '. */
  headers: Record<string, string>;
  contentType: string | undefined;
  /** The body as received, decompressed. */
  body: Uint8Array;
  /** The body as text, decoded by its charset (declared or sniffed). */
  text(): string;
}

export interface HandlerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a page handler gets for one fetched page. */
export interface HandlerContext<Item = Record<string, unknown>> {
  /** The URL that was requested. */
  url: string;
  /** The request's label (routing) and data, as enqueued. */
  label: string | undefined;
  userData: UserData;
  /** Links from the seed: 0. */
  depth: number;
  response: PageResponse;
  /** The page as a cheerio document, parsed on first use. */
  readonly $: CheerioAPI;
  /** Every link of the page. Nothing is followed unless the handler enqueues it. */
  links: readonly PageLinkInfo[];
  /** Adds URLs (absolute, or relative to the page) to the crawl; returns how many were valid. */
  enqueue(urls: string | readonly string[], options?: EnqueueOptions): number;
  /** Emits an item (validated by the definition's `item` schema, when it has one). */
  push(item: Item): void;
  log: HandlerLog;
}

export type PageHandler<Item = Record<string, unknown>> = (
  context: HandlerContext<Item>,
) => void | Promise<void>;

export type BuiltinStrategyName = 'breadth-first' | 'depth-first' | 'best-first';

export interface CrawlDefinitionInput<Item extends Record<string, unknown> = Record<string, unknown>> {
  /** The job id: letters, digits, '.', '_' and '-'. */
  name: string;
  seeds: readonly SeedInput[];
  scope?: {
    /** Links on the seeds' hosts, their registrable domains, or anywhere. Default: domain. */
    mode?: 'host' | 'domain' | 'any';
    allow?: string[];
    deny?: string[];
    followNofollow?: boolean;
  };
  politeness?: {
    delayMs?: number;
    concurrencyPerHost?: number;
    respectRobots?: boolean;
    maxCrawlDelayMs?: number;
  };
  safety?: { allowPrivateNetworks?: boolean; allowedAddresses?: string[] };
  limits?: {
    maxPages?: number;
    maxPagesPerHost?: number;
    maxDepth?: number;
    /** Attempts per URL, a handler's failures included. Default: 3. */
    maxAttempts?: number;
    /** Longest a handler may run on one page. Default: 30 s. */
    handlerTimeoutMs?: number;
  };
  /** A built-in strategy by name, or your own (scores the links you enqueue without a score). */
  strategy?: BuiltinStrategyName | CrawlStrategy;
  /** Items that do not match are counted and dead-lettered, not published. */
  item?: z.ZodType<Item>;
  /** Handles pages without a label, or with a label `handlers` does not name. */
  handle?: PageHandler<Item>;
  /** Handlers by label. */
  handlers?: Record<string, PageHandler<Item>>;
}

/** A crawl definition, as `defineCrawl` returns it: the default export of a crawl module. */
export interface CrawlDefinition<Item extends Record<string, unknown> = Record<string, unknown>>
  extends CrawlDefinitionInput<Item> {
  readonly kind: 'kraul.crawl';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Thrown for a definition kraul cannot run, naming each problem. */
export class CrawlDefinitionError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`${source}: ${problems.join('; ')}`);
    this.name = 'CrawlDefinitionError';
    this.problems = problems;
  }
}

/**
 * A typed crawl: seeds, limits and the handlers that turn pages into items and links.
 * `export default defineCrawl({...})` in a module is what `kraul run` and `kraul job create` take.
 */
export function defineCrawl<Item extends Record<string, unknown> = Record<string, unknown>>(
  input: CrawlDefinitionInput<Item>,
): CrawlDefinition<Item> {
  const problems = definitionProblems(input as CrawlDefinitionInput);
  if (problems.length > 0) throw new CrawlDefinitionError(`crawl ${String(input?.name)}`, problems);
  return Object.freeze({ ...input, kind: 'kraul.crawl' as const });
}

export function isCrawlDefinition(value: unknown): value is CrawlDefinition {
  return typeof value === 'object' && value !== null && (value as CrawlDefinition).kind === 'kraul.crawl';
}

function definitionProblems(input: CrawlDefinitionInput): string[] {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null) return ['defineCrawl takes an object'];
  if (typeof input.name !== 'string' || !NAME.test(input.name))
    problems.push(
      "name: expected letters, digits, '.', '_' or '-' (at most 128), starting with a letter or digit",
    );
  if (!Array.isArray(input.seeds) || input.seeds.length === 0) problems.push('seeds: at least one seed URL');
  if (input.handle === undefined && input.handlers === undefined)
    problems.push('handle or handlers: a crawl needs at least one page handler');
  if (input.handle !== undefined && typeof input.handle !== 'function')
    problems.push('handle: expected a function');
  for (const [label, handler] of Object.entries(input.handlers ?? {})) {
    if (typeof handler !== 'function') problems.push(`handlers.${label}: expected a function`);
  }
  if (input.item !== undefined && typeof (input.item as { safeParse?: unknown }).safeParse !== 'function')
    problems.push('item: expected a zod schema');
  return problems;
}
