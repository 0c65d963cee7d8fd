export { DEFAULT_MAX_ANCHOR_TEXT_CHARS, DEFAULT_MAX_LINKS, DEFAULT_MAX_TITLE_CHARS } from './assemble.ts';
export { type DecodedHtml, type DecodeOptions, decodeHtml } from './decode.ts';
export { type LoadDocumentOptions, loadDocument } from './document.ts';
export { extractLinks } from './links.ts';
export { extractLinksWithCheerio } from './links-cheerio.ts';
export {
  combineRobotsDirectives,
  noRobotsDirectives,
  parseRobotsHeader,
  parseRobotsMeta,
  type RobotsDirective,
  type RobotsDirectives,
} from './robots-directives.ts';
export { extractSitemap, type SitemapEntries, type SitemapOptions } from './sitemap.ts';
export { DEFAULT_MAX_TEXT_CHARS, extractText } from './text.ts';
export type {
  ExtractedLink,
  ExtractedPage,
  ExtractOptions,
  ExtractTextOptions,
  LinkTag,
  MetaRobots,
} from './types.ts';
