import robotsParserModule from 'robots-parser';
import type { RobotsMode } from './options.ts';

// The package's typings declare an ES default export; at run time the CommonJS function is the default.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** Where `'redirect'` mode sends robots.txt requests; it serves the default rules. */
export const MOVED_ROBOTS_PATH = '/robots-moved.txt';

/** The default robots.txt of a host: keep out of /private/, optional Crawl-delay, sitemap. */
export function defaultRobotsBody(origin: string, crawlDelaySeconds: number | undefined): string {
  const lines = ['User-agent: *', 'Disallow: /private/'];
  if (crawlDelaySeconds !== undefined) lines.push(`Crawl-delay: ${crawlDelaySeconds}`);
  lines.push('', `Sitemap: ${origin}/sitemap.xml`, '');
  return lines.join('\n');
}

/** Decides whether a crawler honouring robots.txt (RFC 9309) may fetch a path on this host. */
export type RobotsPolicy = (path: string) => boolean;

/**
 * What RFC 9309 makes of each mode: 404 allows everything; a 5xx answer or an unreachable
 * file (one that never answers) disallows everything; a redirect is followed to the default
 * rules; a body is parsed as written.
 */
export function robotsPolicy(
  mode: RobotsMode | undefined,
  origin: string,
  crawlDelaySeconds: number | undefined,
  userAgent: string,
): RobotsPolicy {
  if (mode === 'missing') return () => true;
  if (mode === 'error' || mode === 'hang') return () => false;
  const body =
    mode === undefined || mode === 'redirect' ? defaultRobotsBody(origin, crawlDelaySeconds) : mode;
  const robots = robotsParser(`${origin}/robots.txt`, body);
  return (path) => robots.isAllowed(origin + path, userAgent) !== false;
}
