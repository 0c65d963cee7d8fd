import robotsParserExport from 'robots-parser';

// The package is CommonJS exporting the function itself; its typings describe an ES default
// export, which under Node's ESM interop is one level too deep.
const robotsParser = robotsParserExport as unknown as (typeof robotsParserExport)['default'];

/** Where a host's rules came from: its robots.txt, its absence (4xx), or a failure to get it. */
export type RobotsSource = 'fetched' | 'missing' | 'unreachable';

export interface RobotsRules {
  readonly source: RobotsSource;
  /** Whether the crawler may fetch `url` (a URL on this origin; any other URL is not allowed). */
  isAllowed(url: string): boolean;
  /** The Crawl-delay for the crawler's group, in milliseconds, if the file sets one. */
  crawlDelayMs(): number | undefined;
  /** Sitemap URLs the file lists. */
  sitemaps(): string[];
  /**
   * What the rules were parsed from (fetched rules only), so they can be reported and parsed
   * again, with the same result, elsewhere: `parsedRules(url, text, token)`.
   */
  readonly parsedFrom?: { url: string; text: string; token: string };
}

/** Rules parsed from a robots.txt body, matched for one user-agent product token. */
export function parsedRules(robotsUrl: string, text: string, userAgentToken: string): RobotsRules {
  const robots = robotsParser(robotsUrl, text);
  return {
    source: 'fetched',
    parsedFrom: { url: robotsUrl, text, token: userAgentToken },
    // robots-parser answers undefined for URLs outside the file's origin.
    isAllowed: (url) => robots.isAllowed(url, userAgentToken) === true,
    crawlDelayMs: () => {
      const seconds = robots.getCrawlDelay(userAgentToken);
      return seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
    },
    sitemaps: () => robots.getSitemaps(),
  };
}

/** RFC 9309 §2.3.1.3: robots.txt unavailable (4xx), so everything is allowed. */
export const ALLOW_ALL: RobotsRules = {
  source: 'missing',
  isAllowed: () => true,
  crawlDelayMs: () => undefined,
  sitemaps: () => [],
};

/** RFC 9309 §2.3.1.4: robots.txt unreachable (5xx, network), so nothing is allowed for now. */
export const DISALLOW_ALL: RobotsRules = {
  source: 'unreachable',
  isAllowed: () => false,
  crawlDelayMs: () => undefined,
  sitemaps: () => [],
};
