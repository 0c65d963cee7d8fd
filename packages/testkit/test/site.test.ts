import type dns from 'node:dns';
import { type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { createBrotliDecompress, createGunzip, gunzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allGraphDocuments,
  ENCODED_PAGES,
  ETAG,
  graphDocument,
  LAST_MODIFIED,
  startTestSite,
  type TestSite,
} from '../src/site/index.ts';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface GetOptions {
  headers?: Record<string, string>;
  lookup?: typeof dns.lookup;
}

/** Opens a request on its own connection and hands back the response as it starts. */
function open(
  url: string,
  options: GetOptions = {},
): { response: Promise<IncomingMessage>; abort: () => void } {
  let abort = () => {};
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { agent: false, headers: options.headers, lookup: options.lookup }, resolve);
    req.on('error', reject);
    req.end();
    abort = () => req.destroy();
  });
  return { response, abort };
}

async function get(url: string, options: GetOptions = {}): Promise<Reply> {
  const res = await open(url, options).response;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  expect(condition()).toBe(true);
}

interface ExtractedLink {
  href: string;
  nofollow: boolean;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1]?.replaceAll('&amp;', '&');
}

/** Followable hrefs of a page (`<a>` and `<area>`), and its `<base href>`. */
function extractLinks(html: string): { base: string | undefined; links: ExtractedLink[] } {
  const base = /<base\s[^>]*>/.exec(html);
  const links: ExtractedLink[] = [];
  for (const [tag] of html.matchAll(/<(?:a|area)\s[^>]*>/g)) {
    const href = attribute(tag, 'href');
    if (href !== undefined) links.push({ href, nofollow: attribute(tag, 'rel') === 'nofollow' });
  }
  return { base: base ? attribute(base[0], 'href') : undefined, links };
}

/** A small breadth-first crawler over real HTTP, to check the served site against expectedPages. */
async function crawl(
  site: TestSite,
  rules: { followNofollow: boolean; obeyRobots: boolean },
): Promise<Set<string>> {
  const origins = new Set(site.hosts.map((h) => site.linkOrigin(h.index)));
  const start = site.url(0, '/p/0');
  const seen = new Set([start]);
  const fetched = new Set<string>();
  const queue = [start];
  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    if (rules.obeyRobots && new URL(url).pathname.startsWith('/private/')) continue;
    const reply = await get(url);
    fetched.add(url);
    expect(reply.status, url).toBe(200);
    const { base, links } = extractLinks(reply.body.toString('utf8'));
    for (const link of links) {
      if (link.nofollow && !rules.followNofollow) continue;
      const target = new URL(link.href, new URL(base ?? url, url));
      target.hash = '';
      if (!origins.has(target.origin) || seen.has(target.href)) continue;
      seen.add(target.href);
      queue.push(target.href);
    }
  }
  return fetched;
}

describe('page graph', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({ hosts: 4, pagesPerHost: 20 });
  });
  afterAll(() => site.close());

  it('reaches every page of every host from /p/0 of host 0, and nothing behind robots or nofollow', () => {
    const expected = site.expectedPages();
    for (const host of site.hosts) {
      for (let n = 0; n < 20; n++) expect(expected).toContain(`${host.origin}/p/${n}`);
    }
    expect(expected.size).toBe(4 * 20);
    expect([...expected].filter((u) => /\/(private|nofollow)\//.test(u))).toEqual([]);
  });

  it('adds nofollow targets and private pages when a crawl ignores those rules', () => {
    const all = site.expectedPages({ followNofollow: true, obeyRobots: false });
    expect(all).toContain(`${site.hosts[2]!.origin}/nofollow/3`);
    expect(all).toContain(`${site.hosts[1]!.origin}/private/7`);
    expect(all).not.toContain(`${site.hosts[1]!.origin}/nofollow/7`);
    expect(all.size).toBe(4 * 20 * 2 + 4 * 7);
  });

  it('links only to documents the graph defines', () => {
    const shape = { hosts: 4, pagesPerHost: 20 };
    for (const doc of allGraphDocuments(shape)) {
      for (const link of doc.links)
        expect(graphDocument(shape, link.target.host, link.target.path)).toBeDefined();
    }
  });

  it('serves pages whose links, resolved as a browser would, give exactly expectedPages', async () => {
    expect(await crawl(site, { followNofollow: false, obeyRobots: true })).toEqual(site.expectedPages());
    expect(await crawl(site, { followNofollow: true, obeyRobots: false })).toEqual(
      site.expectedPages({ followNofollow: true, obeyRobots: false }),
    );
  });

  it('writes the awkward links: base href, area, canonical, fragments, duplicates, other schemes', async () => {
    const html = (await get(site.url(0, '/p/9'))).body.toString('utf8');
    expect(html).toContain(`<base href="${site.hosts[1]!.origin}/p/">`);
    expect(html).toContain(`<link rel="canonical" href="${site.hosts[0]!.origin}/p/9">`);
    expect(html).toContain('<area shape="rect"');
    expect(html).toContain('href="mailto:');
    expect(html).toContain('href="javascript:');
    expect(html).toContain('href="http://outside.invalid/x/9"');
    expect(html).toContain('rel="nofollow"');
    const plain = (await get(site.url(1, '/p/1'))).body.toString('utf8');
    expect(plain).toContain('href="#x"');
    expect(plain).toContain('href="../p/4"');
    expect(plain.match(/href="\/p\/2"/g)).toHaveLength(2);
    expect(Buffer.byteLength(plain)).toBeGreaterThan(2000);
  });

  it('is the same on every run', async () => {
    const again = await startTestSite({ hosts: 4, pagesPerHost: 20 });
    try {
      const first = (await get(site.url(3, '/p/11'))).body.toString().replaceAll(/127\.0\.0\.\d+:\d+/g, '');
      const second = (await get(again.url(3, '/p/11'))).body.toString().replaceAll(/127\.0\.0\.\d+:\d+/g, '');
      expect(second).toBe(first);
    } finally {
      await again.close();
    }
  });

  it('grows its pages with paragraphsPerPage, keeping the same links', async () => {
    const large = await startTestSite({ hosts: 4, pagesPerHost: 20, paragraphsPerPage: 28 });
    try {
      const hrefsOf = (html: string) =>
        html.match(/href="[^"]*"/g)?.map((href) => href.replaceAll(/127\.0\.0\.\d+:\d+/g, ''));
      const small = (await get(site.url(2, '/p/9'))).body.toString('utf8');
      const big = (await get(large.url(2, '/p/9'))).body.toString('utf8');
      expect(Buffer.byteLength(big)).toBeGreaterThan(14_000);
      expect(Buffer.byteLength(small)).toBeLessThan(5_000);
      expect(hrefsOf(big)?.sort()).toEqual(hrefsOf(small)?.sort());
      expect(await crawl(large, { followNofollow: false, obeyRobots: true })).toEqual(large.expectedPages());
    } finally {
      await large.close();
    }
    await expect(startTestSite({ paragraphsPerPage: 0 })).rejects.toMatchObject({
      code: 'testkit.site_invalid',
    });
  });

  it('answers 404 outside the graph', async () => {
    expect((await get(site.url(0, '/p/20'))).status).toBe(404);
    expect((await get(site.url(0, '/p/007'))).status).toBe(404);
    expect((await get(site.url(0, '/nowhere'))).status).toBe(404);
  });
});

describe('robots.txt and sitemaps', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({
      hosts: 7,
      pagesPerHost: 10,
      crawlDelaySeconds: { 0: 2 },
      robots: { 1: 'missing', 2: 'redirect', 3: 'User-agent: *\nDisallow: /p/1\n', 4: 'error', 5: 'hang' },
    });
  });
  afterAll(() => site.close());

  it('serves the default rules with Crawl-delay and Sitemap lines', async () => {
    const robots = await get(site.url(0, '/robots.txt'));
    expect(robots.status).toBe(200);
    expect(robots.headers['content-type']).toMatch(/^text\/plain/);
    expect(robots.body.toString()).toBe(
      `User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n\nSitemap: ${site.hosts[0]!.origin}/sitemap.xml\n`,
    );
    expect((await get(site.url(6, '/robots.txt'))).body.toString()).not.toContain('Crawl-delay');
  });

  it('serves the configured failures and a custom body', async () => {
    expect((await get(site.url(1, '/robots.txt'))).status).toBe(404);
    const moved = await get(site.url(2, '/robots.txt'));
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('/robots-moved.txt');
    expect((await get(site.url(2, '/robots-moved.txt'))).body.toString()).toContain('Disallow: /private/');
    expect((await get(site.url(3, '/robots.txt'))).body.toString()).toBe('User-agent: *\nDisallow: /p/1\n');
    expect((await get(site.url(4, '/robots.txt'))).status).toBe(500);
  });

  it('never answers robots.txt on a hanging host', async () => {
    const pending = open(site.url(5, '/robots.txt'));
    let answered = false;
    pending.response.then(
      () => {
        answered = true;
      },
      () => {},
    );
    await until(() => site.requests({ host: 5, path: '/robots.txt' }).length === 1);
    await sleep(200);
    expect(answered).toBe(false);
    expect(site.requests({ host: 5, path: '/robots.txt' })[0]!.endedAt).toBeUndefined();
    pending.abort();
    await until(() => site.requests({ host: 5, path: '/robots.txt' })[0]!.aborted);
  });

  it('computes expected pages with each host robots.txt as RFC 9309 reads it', () => {
    const expected = site.expectedPages();
    const onHost = (i: number) => [...expected].filter((u) => u.startsWith(site.hosts[i]!.origin + '/'));
    expect(onHost(0)).toHaveLength(10);
    expect(onHost(1)).toContain(`${site.hosts[1]!.origin}/private/0`); // 404: allow all
    expect(onHost(1)).toHaveLength(20);
    expect(onHost(2)).not.toContain(`${site.hosts[2]!.origin}/private/0`); // redirect: the default rules
    expect(onHost(2)).toHaveLength(10);
    expect(onHost(3)).not.toContain(`${site.hosts[3]!.origin}/p/1`);
    expect(onHost(3)).toContain(`${site.hosts[3]!.origin}/private/2`);
    expect(onHost(4)).toEqual([]); // 5xx: complete disallow
    expect(onHost(5)).toEqual([]); // unreachable: complete disallow
    expect(onHost(6)).toHaveLength(10);
  });

  it('serves a sitemap, a gzipped copy and an index', async () => {
    const origin = site.hosts[2]!.origin;
    const xml = (await get(site.url(2, '/sitemap.xml'))).body.toString();
    expect(xml.match(/<loc>/g)).toHaveLength(10);
    expect(xml).toContain(`<loc>${origin}/p/9</loc>`);
    const gz = await get(site.url(2, '/sitemap.xml.gz'));
    expect(gz.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(gz.body).toString()).toBe(xml);
    const index = (await get(site.url(2, '/sitemap-index.xml'))).body.toString();
    expect(index).toContain(`<loc>${origin}/sitemap.xml</loc>`);
    expect(index).toContain(`<loc>${origin}/sitemap.xml.gz</loc>`);
  });
});

describe('hostile endpoints', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({ hosts: 2, pagesPerHost: 5 });
  });
  afterAll(() => site.close());

  it('follows a redirect chain to a page, and loops forever on the loop', async () => {
    let url = site.url(0, '/redirect/3');
    const hops: string[] = [];
    for (let reply = await get(url); reply.status === 302; reply = await get(url)) {
      url = new URL(reply.headers.location!, url).href;
      hops.push(new URL(url).pathname);
    }
    expect(hops).toEqual(['/redirect/2', '/redirect/1', '/p/0']);

    const first = await get(site.url(0, '/redirect-loop'));
    expect(first.headers.location).toBe('/redirect-loop/b');
    const second = await get(site.url(0, '/redirect-loop/b'));
    expect(second.headers.location).toBe('/redirect-loop');
  });

  it('redirects wherever asked, with the asked status', async () => {
    const target = 'http://169.254.169.254/latest/meta-data';
    const reply = await get(site.url(0, `/redirect-to?url=${encodeURIComponent(target)}&code=307`));
    expect(reply.status).toBe(307);
    expect(reply.headers.location).toBe(target);
  });

  it('answers any status, 429 with Retry-After, and recovers after k failures', async () => {
    const teapot = await get(site.url(0, '/status/418'));
    expect(teapot.status).toBe(418);
    expect(teapot.body.toString()).toContain('418');
    expect((await get(site.url(0, '/status/204'))).body.length).toBe(0);
    const limited = await get(site.url(0, '/retry-after/7'));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(site.url(1, '/flaky/a?fail=2'))).status);
    expect(statuses).toEqual([503, 503, 200, 200]);
    expect((await get(site.url(0, '/flaky/a?fail=2'))).status).toBe(503);
  });

  it('answers 304 to matching validators', async () => {
    const fresh = await get(site.url(0, '/etag'));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.etag).toBe(ETAG);
    expect(fresh.headers['last-modified']).toBe(LAST_MODIFIED);
    const byTag = await get(site.url(0, '/etag'), { headers: { 'If-None-Match': ETAG } });
    expect(byTag.status).toBe(304);
    expect(byTag.body.length).toBe(0);
    expect((await get(site.url(0, '/etag'), { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    expect(
      (await get(site.url(0, '/etag'), { headers: { 'If-Modified-Since': LAST_MODIFIED } })).status,
    ).toBe(304);
    const older = 'Tue, 31 Dec 2024 00:00:00 GMT';
    expect((await get(site.url(0, '/etag'), { headers: { 'If-Modified-Since': older } })).status).toBe(200);
    const logged = site.requests({ path: '/etag' }).map((r) => r.headers['if-none-match']);
    expect(logged).toContain(ETAG);
  });

  it('inflates the gzip bomb past 100 MB without holding it', async () => {
    const res = await open(site.url(0, '/gzip-bomb')).response;
    expect(res.headers['content-encoding']).toBe('gzip');
    let wire = 0;
    let inflated = 0;
    const gunzip = createGunzip();
    res.on('data', (chunk: Buffer) => {
      wire += chunk.length;
    });
    res.pipe(gunzip);
    for await (const chunk of gunzip) {
      inflated += (chunk as Buffer).length;
      if (inflated > 120 * 1024 * 1024) break;
    }
    res.destroy();
    expect(inflated).toBeGreaterThan(120 * 1024 * 1024);
    expect(wire).toBeLessThan(2 * 1024 * 1024);
  });

  it('inflates the brotli bomb past 100 MB', async () => {
    const res = await open(site.url(0, '/br-bomb')).response;
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBeLessThan(1024 * 1024);
    let inflated = 0;
    const decompress = createBrotliDecompress();
    res.pipe(decompress);
    for await (const chunk of decompress) {
      inflated += (chunk as Buffer).length;
      if (inflated > 120 * 1024 * 1024) break;
    }
    res.destroy();
    expect(inflated).toBeGreaterThan(120 * 1024 * 1024);
  });

  it('streams a huge page of the asked size, chunked unless told to declare it', async () => {
    const chunked = await get(site.url(0, '/huge?mb=2'));
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.body.length).toBe(2 * 1024 * 1024);
    expect(chunked.body.subarray(-16).toString()).toContain('</html>');
    const declared = await get(site.url(0, '/huge?mb=1&declare=1'));
    expect(declared.headers['content-length']).toBe(String(1024 * 1024));
    expect(declared.body.length).toBe(1024 * 1024);
  });

  it('serves binary and image content types', async () => {
    const binary = await get(site.url(0, '/binary'));
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(binary.body.length).toBe(16 * 1024);
    const png = await get(site.url(0, '/image.png'));
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.body.subarray(1, 4).toString()).toBe('PNG');
  });

  it('sends headers late on /slow and a byte at a time on /trickle', async () => {
    const before = performance.now();
    const slow = await get(site.url(0, '/slow?ms=150'));
    expect(slow.status).toBe(200);
    expect(performance.now() - before).toBeGreaterThanOrEqual(145);

    const trickle = open(site.url(0, '/trickle?ms=20'));
    const res = await trickle.response;
    expect(res.statusCode).toBe(200);
    let bytes = 0;
    for await (const chunk of res) {
      bytes += (chunk as Buffer).length;
      if (bytes >= 3) break;
    }
    trickle.abort();
    expect(bytes).toBeGreaterThanOrEqual(3);
  });
});

describe('encodings', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({ hosts: 1, pagesPerHost: 5 });
  });
  afterAll(() => site.close());

  it('serves GBK declared only in a meta tag', async () => {
    const reply = await get(site.url(0, '/gbk'));
    expect(reply.headers['content-type']).toBe('text/html');
    expect(reply.body.toString('latin1')).toContain('<meta charset="gbk">');
    expect(reply.body.toString('utf8')).not.toContain(ENCODED_PAGES.gbk.text);
    const text = iconv.decode(reply.body, 'gbk');
    expect(text).toContain('中文网页');
    expect(text).toContain('href="/p/1"');
  });

  it('serves Shift_JIS declared only in the header', async () => {
    const reply = await get(site.url(0, '/sjis'));
    expect(reply.headers['content-type']).toBe('text/html; charset=Shift_JIS');
    expect(reply.body.toString('latin1')).not.toContain('charset=');
    expect(iconv.decode(reply.body, 'shift_jis')).toContain('日本語のページ');
  });

  it('serves UTF-8 with a BOM and windows-1252 declared by http-equiv', async () => {
    const bom = await get(site.url(0, '/utf8-bom'));
    expect([...bom.body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bom.body.toString('utf8')).toContain(ENCODED_PAGES.utf8Bom.text);
    const latin = await get(site.url(0, '/latin1'));
    expect(latin.body.toString('latin1')).toContain('http-equiv="Content-Type"');
    expect(latin.body.includes(0x80)).toBe(true); // € in windows-1252
    expect(iconv.decode(latin.body, 'windows-1252')).toContain(ENCODED_PAGES.latin1.text);
  });
});

describe('crawler traps', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({ hosts: 1, pagesPerHost: 5, sessionSeed: 42 });
  });
  afterAll(() => site.close());

  const hrefs = async (path: string) =>
    extractLinks((await get(site.url(0, path))).body.toString()).links.map((l) => l.href);

  it('walks the calendar across years in both directions', async () => {
    expect(await hrefs('/calendar/2024/12')).toEqual(['/calendar/2024/11', '/calendar/2025/1']);
    expect(await hrefs('/calendar/2025/1')).toEqual(['/calendar/2024/12', '/calendar/2025/2']);
    expect((await get(site.url(0, '/calendar/2025/13'))).status).toBe(404);
  });

  it('gives every session link a new id, the same ids on every run', async () => {
    const first = await hrefs('/session/0?sid=x');
    expect(first).toHaveLength(2);
    expect(first[1]).toMatch(/^\/session\/1\?sid=[0-9a-f]{16}$/);
    const second = await hrefs('/session/0?sid=x');
    expect(new Set([...first, ...second]).size).toBe(4);
    const twin = await startTestSite({ hosts: 1, pagesPerHost: 5, sessionSeed: 42 });
    try {
      const again = extractLinks((await get(twin.url(0, '/session/0'))).body.toString()).links.map(
        (l) => l.href,
      );
      expect(again).toEqual(first);
    } finally {
      await twin.close();
    }
  });

  it('goes ever deeper and round relative loops, and counts without end', async () => {
    expect(await hrefs('/deep/a/a')).toEqual(['/deep/a/a/a', 'loop/']);
    const base = site.url(0, '/deep/a/loop/');
    expect(new URL('loop/', base).pathname).toBe('/deep/a/loop/loop/');
    expect((await get(base)).status).toBe(200);
    expect(await hrefs('/counter?page=41')).toEqual(['/counter?page=42']);
  });

  it('marks /noindex as noindex,nofollow', async () => {
    const html = (await get(site.url(0, '/noindex'))).body.toString();
    expect(html).toContain('<meta name="robots" content="noindex,nofollow">');
    expect(extractLinks(html).links.length).toBeGreaterThan(0);
  });

  it('marks /x-robots-tag noindex,nofollow for kraul in its headers only', async () => {
    const reply = await get(site.url(0, '/x-robots-tag'));
    expect(reply.status).toBe(200);
    expect(reply.headers['x-robots-tag']).toBe('otherbot: noarchive, kraul: noindex, nofollow');
    const html = reply.body.toString();
    expect(html).not.toContain('name="robots"');
    expect(extractLinks(html).links.map((link) => link.href)).toEqual(['/p/2', '/nofollow/1']);
  });
});

describe('request log', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({ hosts: 2, pagesPerHost: 5, pageDelayMs: 100 });
  });
  afterAll(() => site.close());

  it('counts concurrent requests to one host', async () => {
    site.clearLog();
    await Promise.all([
      get(site.url(0, '/slow?ms=800'), { headers: { 'User-Agent': 'kraul-test/1' } }),
      get(site.url(0, '/slow?ms=800')),
      get(site.url(0, '/slow?ms=800')),
      (async () => {
        await until(() => site.requests({ host: 0 }).length === 3);
        await get(site.url(1, '/p/0'));
      })(),
    ]);
    const onHost0 = site.requests({ host: 0 });
    expect(onHost0.map((r) => r.inFlightAtStart)).toEqual([1, 2, 3]);
    expect(site.maxConcurrency(0)).toBe(3);
    expect(site.requests({ host: 1 })[0]!.inFlightAtStart).toBe(1);
    expect(site.maxConcurrency(1)).toBe(1);
    expect(onHost0[0]!.headers['user-agent']).toBe('kraul-test/1');
    expect(onHost0.every((r) => r.status === 200 && !r.aborted && r.address === '127.0.0.2')).toBe(true);
    expect(site.gaps(0).every((g) => g < 0)).toBe(true);
  });

  it('measures gaps both ways between sequential requests', async () => {
    site.clearLog();
    await get(site.url(1, '/robots.txt'));
    await get(site.url(1, '/p/1'));
    await sleep(50);
    await get(site.url(1, '/p/2'));
    const [request1, request2] = site.requests({ path: /^\/p\// });
    expect(request2!.startedAt - request1!.endedAt!).toBeGreaterThanOrEqual(45);
    const endToStart = site.gaps(1, { filter: { path: /^\/p\// } });
    const startToStart = site.gaps(1, { measure: 'start-to-start', filter: { path: /^\/p\// } });
    expect(endToStart).toHaveLength(1);
    expect(endToStart[0]).toBeGreaterThanOrEqual(45);
    // pageDelayMs holds every graph page back, so start-to-start covers that delay too.
    expect(startToStart[0]! - endToStart[0]!).toBeGreaterThanOrEqual(95);
    expect(site.gaps(1)).toHaveLength(2);
    expect(site.countByPath()).toEqual(
      new Map([
        ['/robots.txt', 1],
        ['/p/1', 1],
        ['/p/2', 1],
      ]),
    );
    expect(site.countByUrl({ host: 1, path: '/p/2' })).toEqual(new Map([[site.url(1, '/p/2'), 1]]));
    expect(request1!.endedAtEpoch! - request1!.startedAtEpoch).toBeGreaterThanOrEqual(95);
  });
});

describe('names and lookup', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({
      hosts: 3,
      pagesPerHost: 4,
      linkHostNames: true,
      names: { 'alias.test': '127.0.0.3' },
    });
  });
  afterAll(() => site.close());

  it('resolves h<i>.kraul.test to the host address and nothing outside the site', async () => {
    const lookup = (name: string, options: dns.LookupOptions) =>
      new Promise((resolve, reject) =>
        site.lookup(name, options, (error, address) => (error ? reject(error) : resolve(address))),
      );
    expect(await lookup('h2.kraul.test', {})).toBe('127.0.0.4');
    expect(await lookup('alias.test', { all: true })).toEqual([{ address: '127.0.0.3', family: 4 }]);
    expect(await lookup('127.9.9.9', {})).toBe('127.9.9.9');
    await expect(lookup('outside.invalid', {})).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(lookup('h3.kraul.test', {})).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(lookup('h0.kraul.test', { family: 6 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('serves by name and writes its links with names', async () => {
    expect(site.originByName(1)).toBe(`http://h1.kraul.test:${site.hosts[1]!.port}`);
    const reply = await get(site.url(0, '/p/0'), { lookup: site.lookup });
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toContain(`href="${site.originByName(1)}/p/0"`);
    expect(site.requests()[0]!.url).toBe(`${site.originByName(0)}/p/0`);
    const expected = site.expectedPages();
    expect(expected.size).toBe(12);
    expect(expected).toContain(`${site.originByName(2)}/p/3`);
  });
});

describe('close', () => {
  it('ends hanging and trickling connections and returns promptly', async () => {
    const site = await startTestSite({ hosts: 2 });
    const hanging = open(site.url(0, '/hang'));
    const trickling = open(site.url(1, '/trickle'));
    const hangFailed = hanging.response.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const trickled = await trickling.response;
    const trickleEnded = new Promise((resolve) => trickled.on('close', () => resolve('closed')));
    trickled.resume();
    await until(() => site.requests({ path: '/hang' }).length === 1);
    const before = performance.now();
    await site.close();
    // The hanging request would hold close() forever; a busy machine needs far less than this.
    expect(performance.now() - before).toBeLessThan(15_000);
    // The log is final once close() resolves.
    expect(site.requests().every((r) => r.endedAt !== undefined && r.aborted)).toBe(true);
    expect(await hangFailed).toMatch(/socket hang up|ECONNRESET/);
    expect(await trickleEnded).toBe('closed');
  });

  it('refuses options it cannot honour', async () => {
    await expect(startTestSite({ hosts: 0 })).rejects.toMatchObject({ code: 'testkit.site_invalid' });
    await expect(startTestSite({ pageDelayMs: -1 })).rejects.toMatchObject({ code: 'testkit.site_invalid' });
  });
});

describe('virtual hosts: one server, hosts told apart by the Host header', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startTestSite({
      hosts: 3,
      pagesPerHost: 5,
      virtualHosts: { address: '127.0.0.1', port: 0 },
    });
  });
  afterAll(() => site.close());

  it('serves every host from one port and logs each request under its host', async () => {
    const ports = new Set(site.hosts.map((host) => host.port));
    expect(ports.size).toBe(1);
    for (const host of site.hosts) {
      expect(site.linkOrigin(host.index)).toBe(`http://h${host.index}.kraul.test:${host.port}`);
      const reply = await get(site.url(host.index, '/p/1'), { lookup: site.lookup });
      expect(reply.status).toBe(200);
      // Links name the hosts, so a crawler resolves them to the same server again.
      expect(reply.body.toString('utf8')).toContain(`http://h`);
    }
    const logged = site.requests({ path: '/p/1' });
    expect(logged.map((request) => request.host)).toEqual([0, 1, 2]);
    expect(logged.map((request) => request.url)).toEqual(
      site.hosts.map((host) => site.url(host.index, '/p/1')),
    );
  });

  it('answers 421 to a Host it does not serve, without logging it as a site request', async () => {
    const before = site.requests().length;
    const [host] = site.hosts;
    const reply = await get(`http://127.0.0.1:${host!.port}/p/0`, { headers: { host: 'h7.kraul.test' } });
    expect(reply.status).toBe(421);
    expect(site.requests().length).toBe(before);
  });
});
