import { decodeHtml, loadDocument } from '@kraul/extract';
import type { PageLink } from '@kraul/protocol';
import { tryNormalizeUrl } from '@kraul/url';
import type { CheerioAPI } from 'cheerio';
import type { CrawlDefinition, EnqueueOptions, HandlerContext, HandlerLog, PageHandler } from './define.ts';
import type { HandlerResult, PageTask, PushedItem } from './handler-protocol.ts';
import { readRequestMeta, requestMeta } from './request-data.ts';

/** Where a handler's log lines go. */
export type HandlerLogSink = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown>,
) => void;

const MAX_LINKS = 50_000;
const MAX_ITEMS = 10_000;
/** Well under the brokers' default record limit (1 MiB), with room for the envelope. */
const MAX_ITEM_CHARS = 512 * 1024;

function routeOf(definition: CrawlDefinition, label: string | undefined): PageHandler | undefined {
  if (label !== undefined && definition.handlers?.[label]) return definition.handlers[label];
  return definition.handle;
}

/** Runs the definition's handler for one page (in the calling thread): its items, links, or error. */
export async function runHandler(
  definition: CrawlDefinition,
  page: PageTask,
  sink: HandlerLogSink,
): Promise<HandlerResult> {
  const { label, userData } = readRequestMeta(page.meta);
  const items: PushedItem[] = [];
  const enqueued = new Map<string, PageLink>();
  const refused: string[] = [];
  const handler = routeOf(definition, label);
  if (!handler) {
    const error = new Error(`no handler for label ${JSON.stringify(label)} and no default 'handle'`);
    return { ok: false, label, error: { message: error.message, stack: error.stack ?? error.message } };
  }
  let text: string | undefined;
  let document: CheerioAPI | undefined;
  const body = page.body;
  const readText = () => {
    text ??= decodeHtml(body, page.headers['content-type']).text;
    return text;
  };
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields: Record<string, unknown> = {}) =>
      sink(level, String(message), { ...plain(fields), url: page.url });
  const handlerLog: HandlerLog = { info: log('info'), warn: log('warn'), error: log('error') };
  const context: HandlerContext = {
    url: page.url,
    label,
    userData,
    depth: page.depth,
    response: {
      status: page.status,
      url: page.finalUrl,
      headers: page.headers,
      contentType: page.contentType,
      body,
      text: readText,
    },
    get $() {
      document ??= loadDocument(readText(), { baseUrl: page.finalUrl });
      return document;
    },
    links: page.links,
    enqueue(urls: string | readonly string[], options: EnqueueOptions = {}): number {
      const meta = requestMeta(options.label, options.userData);
      if (options.score !== undefined && !Number.isFinite(options.score))
        throw new RangeError(`enqueue: score ${options.score} is not a finite number`);
      let added = 0;
      for (const input of typeof urls === 'string' ? [urls] : urls) {
        const url = tryNormalizeUrl(String(input), { base: page.finalUrl, maxLength: page.maxUrlLength });
        if (url === undefined) {
          if (refused.length < 100) refused.push(String(input).slice(0, 200));
          continue;
        }
        added += 1;
        if (enqueued.size >= MAX_LINKS || enqueued.has(url)) continue;
        enqueued.set(url, {
          url,
          ...(options.score === undefined ? {} : { score: options.score }),
          ...(meta ? { meta } : {}),
        });
      }
      return added;
    },
    push(item: Record<string, unknown>): void {
      if (items.length >= MAX_ITEMS) throw new RangeError(`push: at most ${MAX_ITEMS} items per page`);
      items.push(checkItem(definition, item));
    },
    log: handlerLog,
  };
  try {
    await handler(context);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return {
      ok: false,
      label,
      error: { message: `${err.name}: ${err.message}`, stack: err.stack ?? err.message },
    };
  }
  return { ok: true, label, items, enqueued: [...enqueued.values()], refused };
}

/** The item as JSON data, checked against the definition's schema. */
function checkItem(definition: CrawlDefinition, item: unknown): PushedItem {
  let data: unknown;
  let json: string;
  try {
    json = JSON.stringify(item) ?? 'undefined';
    data = JSON.parse(json);
  } catch (error) {
    return {
      ok: false,
      data: String(item).slice(0, 10_000),
      error: `not JSON data: ${(error as Error).message}`,
    };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, data: json.slice(0, 10_000), error: 'an item is an object' };
  // One record on the items topic: larger ones would be refused by the brokers for good.
  if (json.length > MAX_ITEM_CHARS)
    return {
      ok: false,
      data: json.slice(0, 10_000),
      error: `the item is ${json.length} characters as JSON; at most ${MAX_ITEM_CHARS} fit in one record`,
    };
  const schema = definition.item;
  if (!schema) return { ok: true, data: data as Record<string, unknown> };
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data as Record<string, unknown> };
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  return {
    ok: false,
    data: json.slice(0, 10_000),
    error: `${field ? `field ${field}: ` : ''}${issue?.message ?? 'invalid'}`,
    ...(field ? { field } : {}),
  };
}

function plain(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
