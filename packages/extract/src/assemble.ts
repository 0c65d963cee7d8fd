import { DEFAULT_MAX_URL_LENGTH, type NormalizeOptions, normalizeUrl, tryNormalizeUrl } from '@kraul/url';
import { parseRobotsMeta } from './robots-directives.ts';
import type { ExtractedLink, ExtractedPage, ExtractOptions, LinkTag } from './types.ts';

/** A link as found in the markup, before resolution: what both extractors record. */
export interface RawLink {
  tag: LinkTag;
  href: string;
  rel: string | undefined;
  hreflang: string | undefined;
  /** Already collapsed and capped by the extractor. */
  text: string;
}

/**
 * Whether a `<meta name>` carries robots directives for this crawler: `robots`, or its product
 * token (`robotsName`, lower-cased), compared as HTML does, without surrounding spaces or case.
 */
export function isRobotsMetaName(name: string, robotsName: string | undefined): boolean {
  const normal = name.trim().toLowerCase();
  return normal === 'robots' || (robotsName !== undefined && robotsName !== '' && normal === robotsName);
}

/** What an extractor records while walking a page, in document order. */
export interface RawPage {
  title: string | undefined;
  /** href of the first `<base>` that has one. */
  baseHref: string | undefined;
  /** `content` of each `<meta name="robots">` and `<meta name="<robotsToken>">`. */
  robots: string[];
  links: RawLink[];
}

export const DEFAULT_MAX_LINKS = 5000;
export const DEFAULT_MAX_ANCHOR_TEXT_CHARS = 200;
export const DEFAULT_MAX_TITLE_CHARS = 500;

/**
 * Hrefs longer than this many times the URL cap are dropped unparsed: normalising (percent-decoding
 * unreserved characters, dropping credentials and default ports) shrinks a URL by far less, so only
 * hostile megabyte attributes are spared the parser. The fragment does not count: it is removed anyway.
 */
const UNPARSED_HREF_FACTOR = 4;

/**
 * Real rel values hold a handful of tokens; a hostile one can hold a million, which must neither
 * land in the page event nor be de-duplicated pairwise. Nofollow tokens are seen past the cap.
 */
const MAX_REL_TOKENS = 16;
const NOFOLLOW_TOKENS: readonly string[] = ['nofollow', 'ugc', 'sponsored'];

interface Rel {
  tokens: readonly string[];
  /** A token asks not to follow: `nofollow`, `ugc` or `sponsored`. */
  nofollow: boolean;
}

const NO_REL: Rel = { tokens: Object.freeze([]), nofollow: false };

/** `rel` is a set of ASCII-whitespace-separated, ASCII-case-insensitive tokens. */
function parseRel(value: string | undefined): Rel {
  if (value === undefined) return NO_REL;
  const tokens: string[] = [];
  let nofollow = false;
  for (const token of value.toLowerCase().split(/[\t\n\f\r ]+/)) {
    if (token === '') continue;
    if (!nofollow && NOFOLLOW_TOKENS.includes(token)) nofollow = true;
    if (tokens.length < MAX_REL_TOKENS && !tokens.includes(token)) tokens.push(token);
  }
  return tokens.length === 0 ? NO_REL : { tokens, nofollow };
}

/** Only `<link>`s that name another page of the site are links; stylesheets, icons and preloads are not. */
function isPageLink(rel: readonly string[], hreflang: string | undefined): boolean {
  return (
    rel.includes('canonical') ||
    rel.includes('next') ||
    rel.includes('prev') ||
    (hreflang !== undefined && rel.includes('alternate'))
  );
}

/** The document base URL: the first `<base href>` resolved against the page, if it is http(s). */
function resolveBase(baseHref: string | undefined, pageUrl: string): string | undefined {
  if (baseHref === undefined) return undefined;
  const base = URL.parse(baseHref.trim(), pageUrl);
  if (base === null || (base.protocol !== 'http:' && base.protocol !== 'https:')) return undefined;
  return base.href;
}

function isHopelesslyLong(href: string, maxUrlLength: number): boolean {
  const limit = maxUrlLength * UNPARSED_HREF_FACTOR;
  if (href.length <= limit) return false;
  const hash = href.indexOf('#');
  return hash === -1 || hash > limit;
}

function cleanHreflang(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Turns what an extractor recorded into the page result. Shared by both extractors so they differ
 * only in how they walk the markup. Links resolve against the base URL even when `<base>` comes
 * after them, as in a browser (the base of a document is its first `<base href>`, wherever it is).
 *
 * @throws the `@kraul/url` errors when `pageUrl` is not an absolute http(s) URL.
 */
export function assemblePage(raw: RawPage, pageUrl: string, options: ExtractOptions): ExtractedPage {
  const page = normalizeUrl(pageUrl);
  const base = resolveBase(raw.baseHref, page);
  const maxLinks = options.maxLinks ?? DEFAULT_MAX_LINKS;
  const maxUrlLength = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  const normalizeOptions: NormalizeOptions = {
    ...options.normalize,
    base: base ?? page,
    maxLength: maxUrlLength,
  };

  const links: ExtractedLink[] = [];
  const byUrl = new Map<string, ExtractedLink>();
  let canonical: string | undefined;
  let skipped = 0;
  let truncatedLinks = 0;

  for (const found of raw.links) {
    const { tokens: rel, nofollow } = parseRel(found.rel);
    const hreflang = cleanHreflang(found.hreflang);
    if (found.tag === 'link' && !isPageLink(rel, hreflang)) continue;
    const url = isHopelesslyLong(found.href, maxUrlLength)
      ? undefined
      : tryNormalizeUrl(found.href, normalizeOptions);
    if (url === undefined) {
      skipped++;
      continue;
    }
    if (canonical === undefined && found.tag === 'link' && rel.includes('canonical')) canonical = url;

    const seen = byUrl.get(url);
    if (seen !== undefined) {
      if (seen.nofollow && !nofollow) {
        seen.nofollow = false;
        seen.rel = rel;
      }
      if (seen.text === '') seen.text = found.text;
      if (seen.hreflang === undefined && hreflang !== undefined) seen.hreflang = hreflang;
      continue;
    }
    if (links.length >= maxLinks) {
      truncatedLinks++;
      continue;
    }
    const link: ExtractedLink = { url, text: found.text, rel, nofollow, tag: found.tag };
    if (hreflang !== undefined) link.hreflang = hreflang;
    links.push(link);
    byUrl.set(url, link);
  }

  const result: ExtractedPage = {
    links,
    metaRobots: parseRobotsMeta(raw.robots),
    skipped,
    truncatedLinks,
  };
  if (raw.title !== undefined && raw.title !== '') result.title = raw.title;
  if (canonical !== undefined) result.canonical = canonical;
  if (base !== undefined) result.base = base;
  return result;
}
