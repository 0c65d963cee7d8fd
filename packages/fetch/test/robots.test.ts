import { describe, expect, it } from 'vitest';
import { RobotsCache, UnsupportedSchemeError } from '../src/index.ts';
import { harness } from './helpers/harness.ts';

const { serve, fetcher } = harness();

const ROBOTS = [
  'User-agent: *',
  'Disallow: /private/',
  'Crawl-delay: 9',
  '',
  'User-agent: kraul',
  'Disallow: /no-kraul',
  'Disallow: /*.pdf$',
  'Disallow: /search*q=',
  'Allow: /no-kraul/except',
  'Crawl-delay: 2.5',
  '',
  'Sitemap: https://example.com/sitemap.xml',
  'Sitemap: https://example.com/news.xml',
].join('\n');

/** A site whose /robots.txt is produced by `robots`; counts robots.txt requests. */
async function site(
  robots: (count: number) => { status?: number; body?: string; location?: string } | 'hang',
) {
  let count = 0;
  const server = await serve((request, response) => {
    if (!request.url?.startsWith('/robots.txt')) {
      response.end('page');
      return;
    }
    count += 1;
    const answer = robots(count);
    if (answer === 'hang') return;
    response.statusCode = answer.status ?? 200;
    if (answer.location) response.setHeader('location', answer.location);
    response.setHeader('content-type', 'text/plain');
    response.end(answer.body ?? '');
  });
  return { server, robotsRequests: () => count };
}

describe('RobotsCache', () => {
  it('applies the group of its user-agent token: paths, wildcards, end anchors, Allow', async () => {
    const { server } = await site(() => ({ body: ROBOTS }));
    const rules = await new RobotsCache({ fetcher: fetcher() }).get(server.origin);
    const o = server.origin;

    expect(rules.source).toBe('fetched');
    expect(rules.isAllowed(`${o}/`)).toBe(true);
    expect(rules.isAllowed(`${o}/no-kraul/page`)).toBe(false);
    expect(rules.isAllowed(`${o}/no-kraul/except/page`)).toBe(true);
    expect(rules.isAllowed(`${o}/files/report.pdf`)).toBe(false);
    expect(rules.isAllowed(`${o}/files/report.pdf?download=1`)).toBe(true);
    expect(rules.isAllowed(`${o}/search?lang=en&q=crawler`)).toBe(false);
    // The kraul group replaces the * group rather than adding to it.
    expect(rules.isAllowed(`${o}/private/x`)).toBe(true);
    // Rules of one origin say nothing about another.
    expect(rules.isAllowed('http://elsewhere.test/')).toBe(false);
    expect(rules.crawlDelayMs()).toBe(2500);
    expect(rules.sitemaps()).toEqual(['https://example.com/sitemap.xml', 'https://example.com/news.xml']);
  });

  it('matches the product token, not the full User-Agent header', async () => {
    const { server } = await site(() => ({ body: ROBOTS }));
    const client = fetcher({ userAgent: 'kraul/0.1 (+https://example.org)' });
    const other = await new RobotsCache({ fetcher: client, userAgentToken: 'otherbot' }).get(server.origin);

    expect(other.isAllowed(`${server.origin}/private/x`)).toBe(false);
    expect(other.isAllowed(`${server.origin}/no-kraul/page`)).toBe(true);
    expect(other.crawlDelayMs()).toBe(9000);
    expect(server.requests[0]!.headers['user-agent']).toBe('kraul/0.1 (+https://example.org)');
  });

  it.each([404, 401, 403, 410])('allows everything when robots.txt answers %i', async (status) => {
    const { server } = await site(() => ({ status, body: 'User-agent: *\nDisallow: /' }));
    const rules = await new RobotsCache({ fetcher: fetcher() }).get(server.origin);

    expect(rules.source).toBe('missing');
    expect(rules.isAllowed(`${server.origin}/anything`)).toBe(true);
    expect(rules.sitemaps()).toEqual([]);
  });

  it.each([500, 503, 429])('disallows everything on %i, and asks again after errorTtlMs', async (status) => {
    const { server, robotsRequests } = await site((count) =>
      count === 1 ? { status } : { body: 'User-agent: *\nDisallow: /private' },
    );
    let now = 1_000_000;
    const cache = new RobotsCache({ fetcher: fetcher(), errorTtlMs: 60_000, clock: () => now });

    const first = await cache.get(server.origin);
    expect(first.source).toBe('unreachable');
    expect(first.isAllowed(`${server.origin}/`)).toBe(false);

    now += 59_000;
    expect((await cache.get(server.origin)).source).toBe('unreachable');
    expect(robotsRequests()).toBe(1);

    now += 2_000;
    const retried = await cache.get(server.origin);
    expect(robotsRequests()).toBe(2);
    expect(retried.source).toBe('fetched');
    expect(retried.isAllowed(`${server.origin}/`)).toBe(true);
    expect(retried.isAllowed(`${server.origin}/private`)).toBe(false);
  });

  it('disallows everything when robots.txt hangs', async () => {
    const { server } = await site(() => 'hang');
    const rules = await new RobotsCache({ fetcher: fetcher({ headersTimeoutMs: 300 }) }).get(server.origin);

    expect(rules.source).toBe('unreachable');
    expect(rules.isAllowed(`${server.origin}/`)).toBe(false);
  });

  it('shares one fetch among concurrent callers and caches it for ttlMs', async () => {
    const { server, robotsRequests } = await site(() => ({ body: ROBOTS }));
    let now = 0;
    const cache = new RobotsCache({ fetcher: fetcher(), ttlMs: 1000, clock: () => now });

    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) => cache.get(`${server.origin}/page/${i}`)),
    );
    expect(robotsRequests()).toBe(1);
    expect(new Set(all).size).toBe(1);

    now = 999;
    await cache.get(server.origin);
    expect(robotsRequests()).toBe(1);
    now = 1001;
    await cache.get(server.origin);
    expect(robotsRequests()).toBe(2);
  });

  it('says whether an origin is fresh: cached, fetched and not yet expired', async () => {
    const { server } = await site(() => ({ body: ROBOTS }));
    let now = 0;
    const cache = new RobotsCache({ fetcher: fetcher(), ttlMs: 1000, clock: () => now });
    expect(cache.isFresh(server.origin)).toBe(false);
    const pending = cache.get(server.origin);
    expect(cache.isFresh(server.origin)).toBe(false);
    await pending;
    expect(cache.isFresh(`${server.origin}/any/page`)).toBe(true);
    now = 1001;
    expect(cache.isFresh(server.origin)).toBe(false);
    expect(cache.isFresh('not a url')).toBe(false);
  });

  it('forgets the least recently used origin beyond maxOrigins', async () => {
    const a = await site(() => ({ body: '' }));
    const b = await site(() => ({ body: '' }));
    const c = await site(() => ({ body: '' }));
    const cache = new RobotsCache({ fetcher: fetcher(), maxOrigins: 2 });

    await cache.get(a.server.origin);
    await cache.get(b.server.origin);
    await cache.get(a.server.origin);
    await cache.get(c.server.origin);
    expect(cache.size).toBe(2);
    await cache.get(a.server.origin);
    expect(a.robotsRequests()).toBe(1);
    await cache.get(b.server.origin);
    expect(b.robotsRequests()).toBe(2);
  });

  it('follows redirects, applying the target file to the origin asked about', async () => {
    const target = await serve((_request, response) => response.end('User-agent: *\nDisallow: /moved-rule'));
    const { server } = await site(() => ({ status: 301, location: `${target.origin}/real-robots.txt` }));
    const rules = await new RobotsCache({ fetcher: fetcher() }).get(server.origin);

    expect(rules.source).toBe('fetched');
    expect(rules.isAllowed(`${server.origin}/moved-rule`)).toBe(false);
    expect(rules.isAllowed(`${server.origin}/other`)).toBe(true);
  });

  it('treats a robots.txt beyond five redirects as missing', async () => {
    const { server, robotsRequests } = await site((count) => ({
      status: 302,
      location: `/robots.txt?hop=${count}`,
    }));
    const rules = await new RobotsCache({ fetcher: fetcher() }).get(server.origin);

    expect(rules.source).toBe('missing');
    expect(rules.isAllowed(`${server.origin}/page`)).toBe(true);
    // The first request and five redirects followed; the sixth redirect is one too many.
    expect(robotsRequests()).toBe(6);
  });

  it('ignores the fetcher body filter and redirect scope for robots.txt', async () => {
    const target = await serve((_request, response) => response.end('User-agent: *\nDisallow: /x'));
    const { server } = await site(() => ({ status: 301, location: `${target.origin}/robots.txt` }));
    const client = fetcher({
      bodyFor: (type) => type === 'text/html',
      checkRedirect: () => {
        throw new Error('out of scope');
      },
    });
    const rules = await new RobotsCache({ fetcher: client }).get(server.origin);

    expect(rules.source).toBe('fetched');
    expect(rules.isAllowed(`${server.origin}/x`)).toBe(false);
  });

  it('parses at most maxBytes, dropping a line cut at the limit', async () => {
    const early = 'User-agent: *\nDisallow: /early\n';
    const padding = `# ${'-'.repeat(200)}\n`;
    const body = `${early}${padding}Disallow: /cut-here-and-longer\nDisallow: /late\n`;
    const { server } = await site(() => ({ body }));
    const limit = early.length + padding.length + 'Disallow: /cut'.length;
    const rules = await new RobotsCache({ fetcher: fetcher(), maxBytes: limit }).get(server.origin);

    expect(rules.isAllowed(`${server.origin}/early`)).toBe(false);
    // "Disallow: /cut" would have blocked more than the site asked for.
    expect(rules.isAllowed(`${server.origin}/cut`)).toBe(true);
    expect(rules.isAllowed(`${server.origin}/late`)).toBe(true);
  });

  it('rejects origins that are not http(s)', async () => {
    await expect(new RobotsCache({ fetcher: fetcher() }).get('ftp://example.com')).rejects.toBeInstanceOf(
      UnsupportedSchemeError,
    );
  });
});
