import { decodeHtml, extractLinks } from '@kraul/extract';
import type { CrawlDefinition, UserData } from './define.ts';
import { readRequestMeta, requestMeta } from './request-data.ts';
import { runHandler } from './run-handler.ts';

export interface TestPageInput {
  url: string;
  /** The page's HTML (or its bytes). */
  html: string | Uint8Array;
  label?: string;
  userData?: UserData;
  depth?: number;
  status?: number;
  /** Lower-case names. Default: text/html in UTF-8. */
  headers?: Record<string, string>;
}

export interface TestPageResult {
  /** Items the handler pushed that the definition's schema accepts. */
  items: Record<string, unknown>[];
  /** Items it refused, with why. */
  invalidItems: { data: string; error: string }[];
  /** What the handler enqueued, as the crawl would follow it. */
  enqueued: { url: string; label?: string; score?: number; userData: UserData }[];
  logs: { level: string; message: string; fields: Record<string, unknown> }[];
}

/**
 * Runs a crawl definition's handler on one page, in this thread, the way the crawler would
 * (routing by label, links as kraul extracts them, items checked by the schema): for a crawl
 * module's own tests against fixture pages. Throws what the handler throws.
 */
export async function testPage(definition: CrawlDefinition, input: TestPageInput): Promise<TestPageResult> {
  const body = typeof input.html === 'string' ? new TextEncoder().encode(input.html) : input.html;
  const headers = input.headers ?? { 'content-type': 'text/html; charset=utf-8' };
  const maxUrlLength = 2_048;
  const { text } = decodeHtml(body, headers['content-type']);
  const links = extractLinks(text, input.url, { maxUrlLength }).links.map(({ url, text, rel, nofollow }) => ({
    url,
    ...(text ? { text } : {}),
    ...(rel.length > 0 ? { rel: [...rel] } : {}),
    ...(nofollow ? { nofollow } : {}),
  }));
  const logs: TestPageResult['logs'] = [];
  const meta = requestMeta(input.label, input.userData);
  const result = await runHandler(
    definition,
    {
      url: input.url,
      finalUrl: input.url,
      status: input.status ?? 200,
      headers,
      contentType: headers['content-type']?.split(';')[0]?.trim().toLowerCase(),
      body,
      depth: input.depth ?? 0,
      meta,
      links,
      maxUrlLength,
    },
    (level, message, fields) => logs.push({ level, message, fields }),
  );
  if (!result.ok) {
    const error = new Error(result.error.message);
    error.stack = result.error.stack;
    throw error;
  }
  return {
    items: result.items.flatMap((item) => (item.ok ? [item.data] : [])),
    invalidItems: result.items.flatMap((item) => (item.ok ? [] : [{ data: item.data, error: item.error }])),
    enqueued: result.enqueued.map((link) => {
      const { label, userData } = readRequestMeta(link.meta);
      return {
        url: link.url,
        ...(label === undefined ? {} : { label }),
        ...(link.score === undefined ? {} : { score: link.score }),
        userData,
      };
    }),
    logs,
  };
}
