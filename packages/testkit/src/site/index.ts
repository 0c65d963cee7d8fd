export { hostAddress, hostName, SITE_DOMAIN } from './addresses.ts';
export { ENCODED_PAGES, type EncodedPage } from './encoded-pages.ts';
export { TestSiteError } from './errors.ts';
export type { ExpectedPagesOptions } from './expected-pages.ts';
export {
  allGraphDocuments,
  type ForeignLink,
  type GraphDocument,
  type GraphLink,
  graphDocument,
  type HrefForm,
  type SiteLocation,
  type SiteShape,
} from './graph.ts';
export { ETAG, LAST_MODIFIED } from './handlers/conditional.ts';
export { NEWS_ARTICLES, type NewsArticle, newsArticle } from './handlers/news.ts';
export { SHOP_PAGES, SHOP_PER_PAGE, SHOP_PRODUCTS, type ShopProduct, shopProduct } from './handlers/shop.ts';
export { LISTING_ITEMS_PER_PAGE, LISTING_PAGES } from './handlers/traps.ts';
export type { RobotsMode, TestSiteOptions } from './options.ts';
export type { GapMeasure, GapOptions, LoggedHeaders, LoggedRequest, RequestFilter } from './request-log.ts';
export { type SiteHost, startTestSite, type TestSite } from './start-test-site.ts';
