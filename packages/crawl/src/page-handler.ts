import { gunzipSync } from 'node:zlib';
import {
  combineRobotsDirectives,
  decodeHtml,
  extractLinks,
  extractSitemap,
  extractText,
  parseRobotsHeader,
  type RobotsDirectives,
} from '@kraul/extract';
import type { FetchResponse } from '@kraul/fetch';
import type { FetchRequest, Job, PageDocument, PageFetched, PageLink } from '@kraul/protocol';
import { fitContentType, fitHeaders, fitRel, fitSitemaps, fitValidators } from './protocol-limits.ts';

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/gzip', 'application/x-gzip']);

/** Media types whose bodies the crawler reads; anything else is recorded by type and size only. */
export function wantsBody(contentType: string | undefined): boolean {
  return contentType === undefined || HTML_TYPES.has(contentType) || XML_TYPES.has(contentType);
}

export interface HandledPage {
  event: PageFetched;
  document: PageDocument | undefined;
}

const MAX_ANCHOR_CHARS = 200;
/** sitemaps.org caps a sitemap at 50 MB uncompressed; a gzip file that inflates past it is a bomb. */
const MAX_SITEMAP_BYTES = 50 * 1024 * 1024;

function isSitemapRequest(request: FetchRequest): boolean {
  return request.meta?.['kind'] === 'sitemap';
}

/** What every outcome of a fetch request repeats of it, so the frontier can match it to its lease. */
export function requestIdentity(request: FetchRequest) {
  return {
    job: request.job,
    url: request.url,
    fp: request.fp,
    depth: request.depth,
    attempt: request.attempt,
    lease: request.lease,
    ...(request.meta ? { meta: request.meta } : {}),
  };
}

/**
 * The one step where a fetched response becomes kraul's page: links for the strategy, and a
 * document for the pages topic when the job asks for one. User extractors plug in here.
 * `robotsToken` is the crawler's product token: `<meta name>` and `X-Robots-Tag: <token>:`
 * directives addressed to it count as well as those addressed to every robot.
 */
export function handlePage(
  request: FetchRequest,
  job: Job,
  response: FetchResponse,
  now: number,
  robotsToken = 'kraul',
): HandledPage {
  const contentType = fitContentType(response.contentType);
  const event: PageFetched = {
    type: 'page.fetched',
    ...requestIdentity(request),
    status: response.status,
    finalUrl: response.finalUrl,
    redirects: response.redirects.map((hop) => ({ url: hop.url, status: hop.status })),
    fetchedAt: now,
    timings: { ttfbMs: round(response.timings.ttfbMs), totalMs: round(response.timings.totalMs) },
    bytes: response.skippedBody ? (response.contentLength ?? 0) : response.bytesDecoded,
    ...(contentType ? { contentType } : {}),
    links: [],
  };
  if (response.status === 304) event.notModified = true;
  const validators = fitValidators(response.headers);
  if (validators) event.validators = validators;
  if (response.status < 200 || response.status >= 300) return { event, document: undefined };
  // Any page or file may carry X-Robots-Tag; a sitemap's does not stop its URLs being crawled.
  const headerRobots = parseRobotsHeader(response.robotsTags, robotsToken);
  if (response.skippedBody) {
    markRobots(event, headerRobots);
    return { event, document: undefined };
  }

  const maxUrlLength = job.settings.scope.maxUrlLength;
  if (
    isSitemapRequest(request) ||
    (response.contentType !== undefined && XML_TYPES.has(response.contentType))
  ) {
    const xml = sitemapText(response.body);
    if (xml === undefined) return { event, document: undefined };
    const sitemap = extractSitemap(xml, { maxUrlLength });
    event.links = sitemap.pages.map((url) => ({ url, rel: ['sitemap'] }));
    if (sitemap.sitemaps.length > 0) event.sitemaps = fitSitemaps(sitemap.sitemaps);
    return { event, document: undefined };
  }
  if (response.contentType !== undefined && !HTML_TYPES.has(response.contentType)) {
    markRobots(event, headerRobots);
    return { event, document: undefined };
  }

  const { text: html } = decodeHtml(response.body, response.headers['content-type']);
  const page = extractLinks(html, response.finalUrl, {
    maxUrlLength,
    maxAnchorTextChars: MAX_ANCHOR_CHARS,
    robotsToken,
  });
  event.links = page.links.map(toPageLink);
  const robots = combineRobotsDirectives(
    page.metaRobots,
    parseRobotsHeader(response.robotsTags, robotsToken),
  );
  markRobots(event, robots);
  if (page.canonical) event.canonical = page.canonical;

  const output = job.settings.output;
  if (output.pages === 'none') return { event, document: undefined };
  // One character more than the cap tells whether the text was cut.
  const full = output.pages === 'text' ? extractText(html, { maxChars: output.maxChars + 1 }) : html;
  const body = full.slice(0, output.maxChars);
  const document: PageDocument = {
    type: 'page.document',
    job: request.job,
    url: request.url,
    fp: request.fp,
    finalUrl: response.finalUrl,
    status: response.status,
    fetchedAt: now,
    ...(contentType ? { contentType } : {}),
    headers: fitHeaders(response.headers),
    ...(page.title ? { title: page.title } : {}),
    ...(output.pages === 'text' ? { text: body } : { html: body }),
    ...(full.length > output.maxChars ? { truncated: true } : {}),
    robots,
  };
  return { event, document };
}

/** The page-wide directives the strategy acts on: nofollow keeps the page's links unfollowed. */
function markRobots(event: PageFetched, robots: RobotsDirectives): void {
  if (robots.noindex) event.noindex = true;
  if (robots.nofollow) event.nofollow = true;
}

/**
 * A sitemap's XML: the body as UTF-8 text, inflated first when it is a gzip file (`.xml.gz`
 * is served as application/gzip, a file type, so the fetcher does not undo it). Undefined when
 * it does not inflate within the sitemap size cap.
 */
function sitemapText(body: Buffer): string | undefined {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) return body.toString('utf8');
  try {
    return gunzipSync(body, { maxOutputLength: MAX_SITEMAP_BYTES }).toString('utf8');
  } catch {
    return undefined;
  }
}

function toPageLink(link: {
  url: string;
  text?: string;
  rel: readonly string[];
  nofollow: boolean;
}): PageLink {
  const rel = fitRel(link.rel);
  return {
    url: link.url,
    ...(link.text ? { text: link.text } : {}),
    ...(rel.length > 0 ? { rel } : {}),
    ...(link.nofollow ? { nofollow: true } : {}),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
