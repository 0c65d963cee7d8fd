import { graphDocument, pagePath, type SiteLocation, type SiteShape } from './graph.ts';
import type { OriginOf } from './render-page.ts';
import type { RobotsPolicy } from './robots-rules.ts';

export interface ExpectedPagesOptions {
  /** Host whose `/p/0` is the seed. Default 0. */
  fromHost?: number;
  /** Follow `rel="nofollow"` links too. Default false. */
  followNofollow?: boolean;
  /** Skip what each host's robots.txt disallows (as configured, RFC 9309 semantics). Default true. */
  obeyRobots?: boolean;
  /** User agent the robots.txt rules are evaluated for. Default `'kraul'`. */
  userAgent?: string;
}

/**
 * Breadth-first walk of the graph from `/p/0` of the seed host, following `<a href>` and
 * `<area href>` links (canonical links point at the page itself, so they add nothing).
 * Returns the URLs (origin + path) a correct crawl fetches: pages its rules forbid are
 * neither fetched nor expanded.
 */
export function walkExpectedPages(
  shape: SiteShape,
  origin: OriginOf,
  policyOf: (host: number) => RobotsPolicy,
  options: ExpectedPagesOptions = {},
): Set<string> {
  const { fromHost = 0, followNofollow = false, obeyRobots = true } = options;
  const urlOf = (l: SiteLocation) => origin(l.host) + l.path;
  const policies = new Map<number, RobotsPolicy>();
  const allowed = (l: SiteLocation) => {
    if (!obeyRobots) return true;
    let policy = policies.get(l.host);
    if (!policy) {
      policy = policyOf(l.host);
      policies.set(l.host, policy);
    }
    return policy(l.path);
  };

  const fetched = new Set<string>();
  const seen = new Set<string>();
  const queue: SiteLocation[] = [{ host: fromHost, path: pagePath(0) }];
  seen.add(urlOf(queue[0]!));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!allowed(next)) continue;
    fetched.add(urlOf(next));
    const doc = graphDocument(shape, next.host, next.path);
    if (!doc) continue;
    for (const link of doc.links) {
      if (link.element === 'canonical' || (link.nofollow && !followNofollow)) continue;
      const url = urlOf(link.target);
      if (seen.has(url)) continue;
      seen.add(url);
      queue.push(link.target);
    }
  }
  return fetched;
}
