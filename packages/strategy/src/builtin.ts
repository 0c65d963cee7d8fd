import type { Job } from '@kraul/protocol';
import type { CrawlStrategy, LinkCandidate } from './types.ts';

/** Shallow pages first: the score is minus the depth. */
export const breadthFirst: CrawlStrategy = {
  name: 'breadth-first',
  scoreLink: (link) => -link.depth,
};

/** Deep pages first: the score is the depth. */
export const depthFirst: CrawlStrategy = {
  name: 'depth-first',
  scoreLink: (link) => link.depth,
};

/**
 * Best-first by keywords: each job keyword found in the URL or the anchor text adds one
 * point; depth breaks ties towards shallow pages. With no keywords it is breadth-first.
 */
export const bestFirst: CrawlStrategy = {
  name: 'best-first',
  scoreSeed: () => 0,
  scoreLink: (link: LinkCandidate, job: Job) => {
    const keywords = job.settings.strategy.keywords;
    let hits = 0;
    if (keywords.length > 0) {
      const haystack = `${link.url} ${link.text ?? ''}`.toLowerCase();
      for (const keyword of keywords) if (haystack.includes(keyword.toLowerCase())) hits += 1;
    }
    return hits - link.depth / 1_000;
  },
};

export const BUILTIN_STRATEGIES: Readonly<Record<string, CrawlStrategy>> = {
  'breadth-first': breadthFirst,
  'depth-first': depthFirst,
  'best-first': bestFirst,
};
