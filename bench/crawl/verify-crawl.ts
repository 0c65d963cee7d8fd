import { checkSiteCrawl, type SiteLogSummary } from '@kraul/testkit/site-process';
import type { CrawlResult } from './crawl-protocol.ts';

/** A crawl that did not fetch what a correct crawl of the site fetches: its figures mean nothing. */
export class CrawlCheckError extends Error {
  constructor(label: string, problems: readonly string[]) {
    super(`${label}: the crawl is wrong, so the benchmark is void:\n  ${problems.join('\n  ')}`);
    this.name = 'CrawlCheckError';
  }
}

/** What a checked crawl requested besides the expected pages. */
export interface CrawlRequests {
  robots: number;
  sitemaps: number;
}

const LISTED = 8;

function listed(urls: readonly string[]): string {
  const shown = urls.slice(0, LISTED).join(', ');
  return urls.length > LISTED ? `${shown} and ${urls.length - LISTED} more` : shown;
}

/**
 * Checks one crawl against the site's request log: every expected page requested exactly
 * once, nothing requested but those pages, robots.txt and the sitemaps, every answer a 2xx,
 * and the crawler's own count of documents equal to what the site served. Throws a
 * {@link CrawlCheckError} naming every problem.
 */
export function verifyCrawl(
  label: string,
  result: CrawlResult,
  log: SiteLogSummary,
  expected: ReadonlySet<string>,
): CrawlRequests {
  const problems: string[] = [];
  const check = checkSiteCrawl(log, expected);
  const { missing, repeated, unexpected } = check;
  const requests: CrawlRequests = { robots: check.robots, sitemaps: check.sitemaps };
  if (missing.length > 0)
    problems.push(`${missing.length} expected pages never requested: ${listed(missing)}`);
  if (repeated.length > 0)
    problems.push(`${repeated.length} pages requested more than once: ${listed(repeated)}`);
  if (unexpected.length > 0)
    problems.push(`${unexpected.length} URLs outside the expected crawl requested: ${listed(unexpected)}`);
  if (check.unsuccessful.length > 0)
    problems.push(
      `${check.unsuccessful.length} requests without a 2xx answer: ${listed(check.unsuccessful)}`,
    );
  const served = expected.size + requests.sitemaps - missing.length;
  if (result.documents !== served) {
    problems.push(
      `the crawler counts ${result.documents} documents, the site served ${served} pages and sitemaps`,
    );
  }
  if (result.counts) {
    const { failed = 0, queued = 0, inflight = 0 } = result.counts;
    if (failed + queued + inflight > 0) {
      problems.push(`the frontier ended with ${failed} failed, ${queued} queued, ${inflight} in flight`);
    }
  }
  if (problems.length > 0) throw new CrawlCheckError(label, problems);
  return requests;
}
