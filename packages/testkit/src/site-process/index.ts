// The synthetic site in a child process, for measurements whose CPU time must be the
// crawler's own (the bench, `kraul bench`). Its own entry point: loads no Kafka client.

export { checkSiteCrawl, type SiteCrawlCheck } from './crawl-check.ts';
export { scopePattern } from './scope-pattern.ts';
export { type SiteProcess, startSiteProcess } from './site-client.ts';
export type { SiteLogSummary, SiteProcessOptions } from './site-protocol.ts';
