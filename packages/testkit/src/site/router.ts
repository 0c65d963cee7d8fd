import type { Handler } from './context.ts';
import { etag } from './handlers/conditional.ts';
import { encodedPageHandlers } from './handlers/encodings.ts';
import { graphPage, noindexPage, xRobotsTagPage } from './handlers/graph-pages.ts';
import { newsPage } from './handlers/news.ts';
import { redirectChain, redirectLoop, redirectTo } from './handlers/redirects.ts';
import { movedRobotsTxt, robotsTxt } from './handlers/robots.ts';
import { shopPage } from './handlers/shop.ts';
import { gzippedSitemap, sitemap, sitemapIndex } from './handlers/sitemaps.ts';
import { anyStatus, flaky, retryAfter } from './handlers/statuses.ts';
import { hang, slow, trickle } from './handlers/timing.ts';
import { calendar, counter, deep, listing, listingItem, session } from './handlers/traps.ts';
import { binary, brotliBomb, gzipBomb, huge, pngImage } from './handlers/volume.ts';
import { sendNotFound } from './respond.ts';
import { MOVED_ROBOTS_PATH } from './robots-rules.ts';

const EXACT = new Map<string, Handler>([
  ['/robots.txt', robotsTxt],
  [MOVED_ROBOTS_PATH, movedRobotsTxt],
  ['/sitemap.xml', sitemap],
  ['/sitemap.xml.gz', gzippedSitemap],
  ['/sitemap-index.xml', sitemapIndex],
  ['/redirect-loop', redirectLoop],
  ['/redirect-loop/b', redirectLoop],
  ['/redirect-to', redirectTo],
  ['/slow', slow],
  ['/hang', hang],
  ['/trickle', trickle],
  ['/huge', huge],
  ['/gzip-bomb', gzipBomb],
  ['/br-bomb', brotliBomb],
  ['/binary', binary],
  ['/image.png', pngImage],
  ['/etag', etag],
  ['/counter', counter],
  ['/list', listing],
  ['/noindex', noindexPage],
  ['/x-robots-tag', xRobotsTagPage],
  ['/deep', deep],
  ...encodedPageHandlers,
]);

/** First path segment → handler for everything below it. */
const PREFIXES = new Map<string, Handler>([
  ['p', graphPage],
  ['nofollow', graphPage],
  ['private', graphPage],
  ['redirect', redirectChain],
  ['status', anyStatus],
  ['retry-after', retryAfter],
  ['flaky', flaky],
  ['calendar', calendar],
  ['session', session],
  ['deep', deep],
  ['list', listingItem],
  ['shop', shopPage],
  ['news', newsPage],
]);

/** The handler for a path; unknown paths get a 404 page. */
export function route(pathname: string): Handler {
  const exact = EXACT.get(pathname);
  if (exact) return exact;
  const first = pathname.split('/')[1] ?? '';
  return PREFIXES.get(first) ?? ((_ctx, _url, _req, res) => sendNotFound(res));
}
