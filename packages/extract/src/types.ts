import type { NormalizeOptions } from '@kraul/url';
import type { RobotsDirectives } from './robots-directives.ts';

/** The element a link came from. */
export type LinkTag = 'a' | 'area' | 'link';

export interface ExtractedLink {
  /** The target, resolved against the page (or its `<base href>`) and normalised by `@kraul/url`; no fragment. */
  url: string;
  /**
   * Anchor text: whitespace-collapsed, trimmed and capped. For `<area>` its `alt`; empty for `<link>`.
   * When a URL occurs several times on a page, the first non-empty text.
   */
  text: string;
  /** Lower-cased, de-duplicated tokens of the `rel` attribute, in document order, at most 16. Shared and frozen when empty. */
  rel: readonly string[];
  /**
   * `rel` holds `nofollow`, `ugc` or `sponsored`. When the URL occurs several times on a page, it is
   * followable if any occurrence is (and `rel` is then that occurrence's). The page-wide
   * `<meta name="robots" content="nofollow">` is reported in `ExtractedPage.metaRobots`, not here.
   */
  nofollow: boolean;
  tag: LinkTag;
  /** The `hreflang` attribute, trimmed, when present and non-empty. */
  hreflang?: string;
}

/** The robots directives a page's `<meta>` tags set. */
export type MetaRobots = RobotsDirectives;

export interface ExtractedPage {
  /** Text of the first `<title>`, whitespace-collapsed and capped; absent when missing or blank. */
  title?: string;
  /** Unique links in document order of their first occurrence, at most `maxLinks`. */
  links: ExtractedLink[];
  /** Normalised target of the first `<link rel="canonical">`. */
  canonical?: string;
  /** The first `<base href>`, resolved against the page URL, when it is an http(s) URL. */
  base?: string;
  /**
   * From `<meta name="robots">` and `<meta name="<robotsToken>">` (several such tags combine);
   * other names such as `googlebot` are ignored.
   */
  metaRobots: MetaRobots;
  /** href values that did not give a crawlable URL: unparsable, too long, or not http(s) (`javascript:`, `mailto:`, `data:`...). */
  skipped: number;
  /** Occurrences of new URLs dropped because `maxLinks` unique links were already kept. */
  truncatedLinks: number;
}

export interface ExtractOptions {
  /**
   * Most unique links kept per page; the rest are counted in `truncatedLinks`.
   * @default 5000
   */
  maxLinks?: number;
  /**
   * Longest anchor text kept, in UTF-16 code units, after whitespace collapsing.
   * @default 200
   */
  maxAnchorTextChars?: number;
  /**
   * Longest title kept, in UTF-16 code units, after whitespace collapsing.
   * @default 500
   */
  maxTitleChars?: number;
  /**
   * Longest normalised URL kept; longer hrefs are counted in `skipped`.
   * @default DEFAULT_MAX_URL_LENGTH of `@kraul/url` (2048)
   */
  maxUrlLength?: number;
  /**
   * The crawler's product token (as matched against robots.txt groups): `<meta name="<token>">`
   * is read as well as `<meta name="robots">`, case-insensitively.
   * @default none (only `robots`)
   */
  robotsToken?: string;
  /**
   * Query normalisation applied to every link, as in `tryNormalizeUrl` (set once per job).
   * @default {} (query order kept, no parameter stripped)
   */
  normalize?: Pick<NormalizeOptions, 'sortQuery' | 'stripParams'>;
}

export interface ExtractTextOptions {
  /**
   * Longest text returned, in UTF-16 code units; parsing stops once it is reached.
   * @default 100000
   */
  maxChars?: number;
}
