import type { SiteLogSummary } from './site-protocol.ts';

/** What a crawl of the synthetic site requested, against what a correct crawl requests. */
export interface SiteCrawlCheck {
  /** Expected pages requested at least once, over the expected pages: 1 for a whole crawl. */
  coverage: number;
  /** Expected pages never requested. */
  missing: string[];
  /** Expected pages requested more than once. */
  repeated: string[];
  /** Requests beyond the first of each expected page. */
  duplicateFetches: number;
  /** URLs requested that are neither expected pages nor robots.txt nor a sitemap. */
  unexpected: string[];
  /** Requests of robots.txt and of sitemaps. */
  robots: number;
  sitemaps: number;
  /** Requests answered with something other than a 2xx, or aborted. */
  unsuccessful: string[];
}

/** Compares the site's request log with the pages a correct crawl seeded with `/p/0` of host 0 requests. */
export function checkSiteCrawl(log: SiteLogSummary, expected: ReadonlySet<string>): SiteCrawlCheck {
  const counts = new Map(log.countByUrl);
  const missing = [...expected].filter((url) => !counts.has(url));
  const repeated = [...expected].filter((url) => (counts.get(url) ?? 0) > 1);
  const check: SiteCrawlCheck = {
    coverage: expected.size === 0 ? 1 : (expected.size - missing.length) / expected.size,
    missing,
    repeated,
    duplicateFetches: repeated.reduce((sum, url) => sum + counts.get(url)! - 1, 0),
    unexpected: [],
    robots: 0,
    sitemaps: 0,
    unsuccessful: log.unsuccessful.map((r) => `${r.url} (${r.aborted ? 'aborted' : r.status})`),
  };
  for (const [url, count] of counts) {
    if (expected.has(url)) continue;
    const path = new URL(url).pathname;
    if (path === '/robots.txt') check.robots += count;
    else if (path === '/sitemap.xml') check.sitemaps += count;
    else check.unexpected.push(url);
  }
  return check;
}
