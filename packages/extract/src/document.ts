import { createRequire } from 'node:module';
import type { CheerioAPI } from 'cheerio';

// cheerio (with parse5 and css-select) is loaded on first use: the crawler's own extraction
// never builds a DOM, and a role should not pay for loading one at start.
const requireModule = createRequire(import.meta.url);
let cheerio: typeof import('cheerio') | undefined;

export interface LoadDocumentOptions {
  /**
   * URL of the page, so `$(el).prop('href')` and `.prop('src')` give absolute URLs.
   * @default none (those props return the attribute as written)
   */
  baseUrl?: string;
}

/**
 * Parses a page into a cheerio document for user extractors, with the spec-compliant parse5
 * tree builder. Scripting is off while parsing, as it is for the crawler: `<noscript>` content
 * is markup (queryable), not text, and agrees with what `extractLinks` reads.
 *
 * Parse5 builds a full tree and its cost grows faster than linearly on pathological nesting
 * (tens of thousands of unclosed elements); the crawler's own link extraction does not use it.
 */
export function loadDocument(html: string, options: LoadDocumentOptions = {}): CheerioAPI {
  cheerio ??= requireModule('cheerio') as typeof import('cheerio');
  return cheerio.load(html, { scriptingEnabled: false, baseURI: options.baseUrl });
}
