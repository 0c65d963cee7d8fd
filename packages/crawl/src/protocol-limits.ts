/**
 * What a server sends is the server's choice; what kraul publishes must pass the message
 * schemas of `@kraul/protocol`, or its consumers send it to the dead-letter topic and the page's
 * outcome is lost. These keep the server-controlled parts of the crawler's messages within the
 * schemas' bounds (page.fetched, page.document).
 */

/** pageLink.rel: at most 16 tokens of at most 64 characters. */
const MAX_REL_TOKEN_CHARS = 64;
/** validators.etag / validators.lastModified. */
const MAX_ETAG_CHARS = 1_024;
const MAX_LAST_MODIFIED_CHARS = 256;
/** page.fetched and page.document contentType. */
const MAX_CONTENT_TYPE_CHARS = 256;
/** page.document headers: names and values. */
const MAX_HEADER_NAME_CHARS = 256;
const MAX_HEADER_VALUE_CHARS = 8_192;
/** page.fetched sitemaps: at most 1,000 URLs of at most 8,192 characters. */
export const MAX_SITEMAPS = 1_000;
const MAX_URL_CHARS = 8_192;

/** rel tokens a schema accepts; an over-long token (only a hostile page writes one) is left out. */
export function fitRel(rel: readonly string[]): string[] {
  return rel.filter((token) => token.length <= MAX_REL_TOKEN_CHARS);
}

/** A media type the schemas accept, or undefined. */
export function fitContentType(contentType: string | undefined): string | undefined {
  return contentType !== undefined && contentType.length <= MAX_CONTENT_TYPE_CHARS ? contentType : undefined;
}

/** The cache validators of a response that fit; a cut validator would never match. */
export function fitValidators(
  headers: Readonly<Record<string, string>>,
): { etag?: string; lastModified?: string } | undefined {
  const etag = headers['etag'];
  const lastModified = headers['last-modified'];
  const validators = {
    ...(etag && etag.length <= MAX_ETAG_CHARS ? { etag } : {}),
    ...(lastModified && lastModified.length <= MAX_LAST_MODIFIED_CHARS ? { lastModified } : {}),
  };
  return Object.keys(validators).length > 0 ? validators : undefined;
}

/** The response headers that fit; a cut header would say something the server did not. */
export function fitHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name, value]) => name.length <= MAX_HEADER_NAME_CHARS && value.length <= MAX_HEADER_VALUE_CHARS,
    ),
  );
}

/** Sitemap URLs that fit, without repeats, at most {@link MAX_SITEMAPS}. */
export function fitSitemaps(urls: readonly string[]): string[] {
  return [...new Set(urls.filter((url) => url.length > 0 && url.length <= MAX_URL_CHARS))].slice(
    0,
    MAX_SITEMAPS,
  );
}
