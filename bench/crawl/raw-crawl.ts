import { Parser } from 'htmlparser2';
import robotsParserModule from 'robots-parser';
import { Agent, request } from 'undici';
import type { CrawlPlan, CrawlResult } from './crawl-protocol.ts';
import { finishWithin } from './deadline.ts';
import { HostQueues } from './host-queues.ts';

// The package's typings declare an ES default export; at run time the CommonJS function is the default.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;
type Robots = ReturnType<typeof robotsParser>;

const USER_AGENT = 'kraul-bench-baseline/0.1';
const ROBOTS_TOKEN = 'kraul';

/** `href` resolved against `base`, without its fragment; undefined when it is no URL. */
function resolve(href: string, base: string | URL): URL | undefined {
  try {
    const url = new URL(href, base);
    url.hash = '';
    return url;
  } catch {
    return undefined;
  }
}

/** Followable links of an HTML page: `<a>` and `<area>` hrefs without rel=nofollow, against `<base href>`. */
function pageLinks(html: string, pageUrl: string): URL[] {
  const hrefs: string[] = [];
  let base: string | URL = pageUrl;
  let baseSeen = false;
  const parser = new Parser({
    onopentag(name, attributes) {
      const href = attributes['href'];
      if (href === undefined) return;
      if (name === 'base' && !baseSeen) {
        baseSeen = true;
        base = resolve(href, pageUrl) ?? pageUrl;
      } else if (
        (name === 'a' || name === 'area') &&
        !/(^|\s)nofollow(\s|$)/i.test(attributes['rel'] ?? '')
      ) {
        hrefs.push(href);
      }
    },
  });
  parser.write(html);
  parser.end();
  const links: URL[] = [];
  for (const href of hrefs) {
    const url = resolve(href, base);
    if (url) links.push(url);
  }
  return links;
}

/** `<loc>` entries of a sitemap. */
function sitemapLocations(xml: string): string[] {
  const locations: string[] = [];
  let inLoc = false;
  let text = '';
  const parser = new Parser(
    {
      onopentag(name) {
        inLoc = name === 'loc';
        text = '';
      },
      ontext(chunk) {
        if (inLoc) text += chunk;
      },
      onclosetag(name) {
        if (name === 'loc') locations.push(text.trim());
        inLoc = false;
      },
    },
    { xmlMode: true },
  );
  parser.write(xml);
  parser.end();
  return locations;
}

/**
 * The floor kraul is compared with: undici requests, htmlparser2 link extraction and a Set
 * for dedup, robots.txt (and the sitemaps it names) obeyed, the same per-host and global
 * concurrency. No queue survives the process, no message is encoded, nothing is retried.
 */
export async function crawlRaw(plan: CrawlPlan): Promise<CrawlResult> {
  const origins = new Set(plan.origins);
  const agent = new Agent({ connections: plan.concurrencyPerHost });
  const seen = new Set<string>();
  const sitemaps = new Set<string>();
  const robotsByOrigin = new Map<string, Promise<Robots>>();
  let documents = 0;
  let lastDocumentMs = 0;
  const progress: [number, number][] = [];
  let started = 0;

  const get = async (url: string): Promise<string> => {
    const response = await request(url, { dispatcher: agent, headers: { 'user-agent': USER_AGENT } });
    const body = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299 || body.length === 0) {
      throw new Error(`baseline crawl: ${url} answered ${response.statusCode}`);
    }
    return body;
  };

  const enqueue = (url: URL): void => {
    if (!origins.has(url.origin) || seen.has(url.href)) return;
    seen.add(url.href);
    queues.push(url.origin, url.href);
  };

  const robotsOf = (origin: string): Promise<Robots> => {
    let robots = robotsByOrigin.get(origin);
    if (!robots) {
      robots = get(`${origin}/robots.txt`).then((body) => {
        const parsed = robotsParser(`${origin}/robots.txt`, body);
        for (const sitemap of parsed.getSitemaps()) {
          const url = resolve(sitemap, origin);
          if (url && origins.has(url.origin) && !seen.has(url.href)) sitemaps.add(url.href);
          if (url) enqueue(url);
        }
        return parsed;
      });
      robotsByOrigin.set(origin, robots);
    }
    return robots;
  };

  const queues = new HostQueues(plan.concurrencyPerHost, plan.concurrency, async (origin, url) => {
    const robots = await robotsOf(origin);
    if (robots.isAllowed(url, ROBOTS_TOKEN) === false) return;
    const body = await get(url);
    documents += 1;
    lastDocumentMs = performance.now() - started;
    progress.push([lastDocumentMs, documents]);
    if (sitemaps.has(url)) {
      for (const location of sitemapLocations(body)) {
        const target = resolve(location, url);
        if (target) enqueue(target);
      }
      return;
    }
    for (const link of pageLinks(body, url)) enqueue(link);
  });

  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const seed = resolve(plan.seed, plan.seed)!;
  enqueue(seed);
  await finishWithin(
    queues.drained(),
    plan.timeoutMs,
    () => `baseline crawl not finished after ${plan.timeoutMs} ms (${documents} documents)`,
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await agent.close();
  return {
    engine: 'raw',
    documents,
    wallMs,
    lastDocumentMs,
    progress,
    cpuMicros: cpu.user + cpu.system,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
