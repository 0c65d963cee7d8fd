import type { Job, PageLink } from '@kraul/protocol';

/** The page a link was found on, as the strategy sees it. */
export interface SourcePage {
  url: string;
  depth: number;
  /** The page's own score when it was scheduled (seeds: their seed score). */
  score: number;
}

/** A link that passed the scope: the strategy only decides its score. */
export interface LinkCandidate extends PageLink {
  /** Depth the link's target gets: source depth + 1. */
  depth: number;
  from: SourcePage;
}

/**
 * A crawl strategy decides the order of the crawl: a higher score is fetched first within
 * a host. Scope, limits and deduplication are kraul's job, not the strategy's.
 * A user strategy is a module whose default export (or `strategy` export) is this object.
 */
export interface CrawlStrategy {
  readonly name: string;
  /** Score of a seed URL. Default: 0. */
  scoreSeed?(url: string, job: Job): number;
  /** Score of a link, or `undefined` to leave it out of the crawl. */
  scoreLink(link: LinkCandidate, job: Job): number | undefined;
}
