import { graphDocument, type SiteShape } from '@kraul/testkit';
import { hostKey, partitionForKey } from '@kraul/url';

/** What the design allows the bus to carry for one crawl. */
export interface BusGoals {
  /** One fetch request per URL the frontier sends to the crawlers. */
  todo: number;
  /** One event per fetch request, plus the seed message. */
  events: number;
  /** At most one schedule record per destination partition per event. */
  scheduleAtMost: number;
}

export interface BusGoalInput {
  shape: SiteShape;
  /** Origin of each host, by index. */
  origins: readonly string[];
  /** The pages the crawl fetched (origin + path). */
  pages: readonly string[];
  /** Sitemaps fetched: each schedules links of its own host only. */
  sitemaps: number;
  /**
   * URLs recorded as dropped (robots.txt disallowed them). The frontier drops them before they
   * are sent, so they cost no todo record and no event; they only bound the schedule records.
   */
  dropped: number;
  partitions: number;
}

/**
 * The design's cost per page, worked out from the site's own graph: todo and events carry
 * exactly one record per URL sent to the crawlers, and the schedule topic at most one record
 * per partition that a page's decisions (its own `done` and its followable links) land in.
 */
export function busGoals(input: BusGoalInput): BusGoals {
  const partitionOf = (url: string) => partitionForKey(hostKey(url), input.partitions);
  let scheduleAtMost = 1 + input.sitemaps + input.dropped;
  for (const page of input.pages) {
    const url = new URL(page);
    const host = input.origins.indexOf(url.origin);
    const document = graphDocument(input.shape, host, url.pathname);
    if (!document) throw new Error(`${page} is no page of the site graph`);
    const partitions = new Set([partitionOf(page)]);
    for (const link of document.links) {
      if (link.element === 'canonical' || link.nofollow) continue;
      partitions.add(partitionOf(input.origins[link.target.host]! + link.target.path));
    }
    scheduleAtMost += partitions.size;
  }
  const sent = input.pages.length + input.sitemaps;
  return { todo: sent, events: sent + 1, scheduleAtMost };
}
