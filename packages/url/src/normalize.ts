import { InvalidUrlError, UnsupportedSchemeError, UrlTooLongError } from './errors.ts';
import { withoutTrailingDots } from './hostname.ts';
import { normalizePercentEncoding } from './percent-encoding.ts';
import { type ParamMatchers, rewriteQuery } from './query.ts';

/** Longest URL kept by default: what browsers and most servers reliably handle, and what sitemaps allow. */
export const DEFAULT_MAX_URL_LENGTH = 2048;

export interface NormalizeOptions {
  /** Base URL that relative inputs resolve against (the page a link was found on). Default: none, so relative input is invalid. */
  base?: string | URL;
  /** Stably sort query parameters by name, so `?b=1&a=2` and `?a=2&b=1` normalise alike. Default: false (order can matter to a site). */
  sortQuery?: boolean;
  /** Query parameters to drop: exact names, or RegExps tested against the decoded name (e.g. `/^utm_/`). Default: none. */
  stripParams?: ParamMatchers;
  /** Longest normalised URL accepted, in UTF-16 code units (the result is ASCII, so also bytes). Default: 2048. */
  maxLength?: number;
}

const NO_OPTIONS: NormalizeOptions = {};

/**
 * One pass for both entry points: throws typed errors when `strict`, returns undefined otherwise,
 * so link extraction can skip bad hrefs without paying for an Error and its stack trace.
 */
function normalize(input: string, options: NormalizeOptions, strict: boolean): string | undefined {
  const base = options.base;
  const url = URL.parse(input, typeof base === 'object' ? base.href : base);
  if (url === null) {
    if (strict) throw new InvalidUrlError(input, base);
    return undefined;
  }
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    if (strict) throw new UnsupportedSchemeError(input, protocol.slice(0, -1));
    return undefined;
  }

  // The WHATWG parser has already lower-cased scheme and host, converted IDNs to punycode,
  // canonicalised IP literals, dropped default ports and resolved dot segments. Rebuilding
  // the string from its parts leaves out what a crawl frontier must not keep: credentials
  // (they would be stored, logged and sent to other hosts on redirects) and the fragment
  // (never sent to the server).
  let host = url.host;
  const hostname = url.hostname;
  if (hostname.endsWith('.')) {
    const stripped = withoutTrailingDots(hostname);
    if (stripped === '') {
      if (strict) throw new InvalidUrlError(input, base);
      return undefined;
    }
    host = url.port === '' ? stripped : stripped + ':' + url.port;
  }

  let query = url.search;
  if (query !== '') {
    query = normalizePercentEncoding(query);
    if (options.sortQuery === true || options.stripParams !== undefined) {
      query = rewriteQuery(query.slice(1), options.sortQuery === true, options.stripParams);
    }
  }

  const normalized = protocol + '//' + host + normalizePercentEncoding(url.pathname) + query;
  const maxLength = options.maxLength ?? DEFAULT_MAX_URL_LENGTH;
  if (normalized.length > maxLength) {
    if (strict) throw new UrlTooLongError(input, normalized.length, maxLength);
    return undefined;
  }
  return normalized;
}

/**
 * Parses `input` (relative to `options.base`) with the WHATWG URL parser and returns its
 * canonical form for the crawl frontier: http(s) only, lower-case scheme and host, punycode
 * host without trailing dot, no default port, no credentials, no fragment, no empty `?`,
 * dot segments resolved, percent-encoding normalised (unreserved characters decoded, hex
 * upper-cased), optionally with query parameters stripped and sorted.
 * Normalising a normalised URL returns it unchanged.
 *
 * @throws InvalidUrlError (`url.invalid`), UnsupportedSchemeError (`url.unsupported_scheme`),
 *   UrlTooLongError (`url.too_long`)
 */
export function normalizeUrl(input: string, options: NormalizeOptions = NO_OPTIONS): string {
  return normalize(input, options, true)!;
}

/** `normalizeUrl` for link extraction: undefined instead of an error for anything it would reject. */
export function tryNormalizeUrl(input: string, options: NormalizeOptions = NO_OPTIONS): string | undefined {
  return normalize(input, options, false);
}
