/**
 * Page-level robots directives: `<meta name="robots">` and the `X-Robots-Tag` response header
 * (https://developers.google.com/search/docs/crawling-indexing/robots-meta-tag). Only the
 * directives that say what may be done with a page are kept; `index`, `follow`, `all` and the
 * preview limits (`max-snippet: 20`, ...) change nothing and are ignored, as are unknown words.
 */
export interface RobotsDirectives {
  /** Do not show the page in search results (`noindex`, or `none`). */
  noindex: boolean;
  /** Do not follow the page's links (`nofollow`, or `none`). */
  nofollow: boolean;
  /** Do not keep or show a cached copy (`noarchive`, Bing's `nocache`). */
  noarchive: boolean;
  /** Do not show a snippet or preview of the text (`nosnippet`). */
  nosnippet: boolean;
  /** Do not index the page's images (`noimageindex`). */
  noimageindex: boolean;
  /** Do not offer a translation (`notranslate`). */
  notranslate: boolean;
}

export type RobotsDirective = keyof RobotsDirectives;

/** No directive set: what a page without robots meta or header says. */
export function noRobotsDirectives(): RobotsDirectives {
  return {
    noindex: false,
    nofollow: false,
    noarchive: false,
    nosnippet: false,
    noimageindex: false,
    notranslate: false,
  };
}

/** What each directive word sets; matched lower-cased. */
const WORDS: Readonly<Record<string, readonly RobotsDirective[]>> = {
  noindex: ['noindex'],
  nofollow: ['nofollow'],
  none: ['noindex', 'nofollow'],
  noarchive: ['noarchive'],
  nocache: ['noarchive'],
  nosnippet: ['nosnippet'],
  noimageindex: ['noimageindex'],
  notranslate: ['notranslate'],
};

/** Directives written `name: value`: their name is not a user agent, their value no directive. */
const VALUED = new Set(['max-snippet', 'max-image-preview', 'max-video-preview', 'unavailable_after']);

/** A robots.txt-style product token: what a user-agent prefix of a header directive may be. */
const PRODUCT_TOKEN = /^[a-z][a-z0-9_-]*$/;

function apply(word: string, into: RobotsDirectives): void {
  const set = WORDS[word];
  if (set !== undefined) for (const directive of set) into[directive] = true;
}

/**
 * The directives of `<meta name="robots">` and `<meta name="<token>">` contents: all of them
 * apply, combined (a directive any of them sets is set). Words are separated by commas and,
 * because pages write `noindex nofollow`, by whitespace too; case does not matter.
 */
export function parseRobotsMeta(contents: readonly string[]): RobotsDirectives {
  const robots = noRobotsDirectives();
  for (const content of contents) {
    for (const word of content.toLowerCase().split(/[\s,]+/)) apply(word, robots);
  }
  return robots;
}

/**
 * The directives of the `X-Robots-Tag` header lines that apply to a crawler whose product token
 * is `token`. Each line is a comma-separated list; a `name:` prefix (`X-Robots-Tag: otherbot:
 * noindex, nofollow`) scopes the rest of its line, up to the next prefix, to that user agent
 * (matched case-insensitively), while directives before any prefix apply to every crawler.
 * Pass each header line as sent: joined lines would let one line's prefix scope the next.
 */
export function parseRobotsHeader(lines: readonly string[], token: string): RobotsDirectives {
  const robots = noRobotsDirectives();
  const us = token.trim().toLowerCase();
  for (const line of lines) {
    let applies = true;
    for (const item of line.toLowerCase().split(',')) {
      let words = item.trim();
      const colon = words.indexOf(':');
      if (colon !== -1) {
        const name = words.slice(0, colon).trim();
        if (VALUED.has(name) || !PRODUCT_TOKEN.test(name)) continue;
        applies = name === us;
        words = words.slice(colon + 1);
      }
      if (!applies) continue;
      for (const word of words.split(/\s+/)) apply(word, robots);
    }
  }
  return robots;
}

/** Both sets of directives in one: a directive either sets is set. */
export function combineRobotsDirectives(a: RobotsDirectives, b: RobotsDirectives): RobotsDirectives {
  return {
    noindex: a.noindex || b.noindex,
    nofollow: a.nofollow || b.nofollow,
    noarchive: a.noarchive || b.noarchive,
    nosnippet: a.nosnippet || b.nosnippet,
    noimageindex: a.noimageindex || b.noimageindex,
    notranslate: a.notranslate || b.notranslate,
  };
}
