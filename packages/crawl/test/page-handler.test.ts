import { gzipSync } from 'node:zlib';
import type { FetchResponse } from '@kraul/fetch';
import {
  decodeMessage,
  encodeMessage,
  type FetchRequest,
  type Job,
  type JobInput,
  job as jobSchema,
  type PageDocument,
  type PageFetched,
} from '@kraul/protocol';
import { ENCODED_PAGES } from '@kraul/testkit';
import { describe, expect, it } from 'vitest';
import { handlePage, wantsBody } from '../src/page-handler.ts';

const PAGE_URL = 'http://site.example/dir/page';
const NOW = 1_750_000_000_000;

function testJob(settings: JobInput['settings'] = {}): Job {
  return jobSchema.parse({ type: 'job', id: 'job-1', settings, createdAt: 0, updatedAt: 0 });
}

function request(overrides: Partial<FetchRequest> = {}): FetchRequest {
  return {
    type: 'fetch.request',
    job: 'job-1',
    url: PAGE_URL,
    fp: '0123456789abcdef',
    depth: 2,
    score: 0.5,
    attempt: 1,
    lease: 'lease-7',
    ...overrides,
  };
}

/** A response as the fetcher returns it; `contentType` follows the Content-Type header given. */
function response(
  overrides: Partial<Omit<FetchResponse, 'body'>> & { body?: Buffer | string } = {},
): FetchResponse {
  const body =
    typeof overrides.body === 'string' ? Buffer.from(overrides.body) : (overrides.body ?? Buffer.alloc(0));
  const headers = overrides.headers ?? { 'content-type': 'text/html; charset=utf-8' };
  const contentType = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return {
    url: PAGE_URL,
    finalUrl: PAGE_URL,
    status: 200,
    redirects: [],
    contentType,
    charset: undefined,
    contentLength: body.length,
    bytesOnWire: body.length,
    bytesDecoded: body.length,
    truncated: false,
    skippedBody: false,
    robotsTags: [],
    timings: { startedAt: NOW - 50, ttfbMs: 12.3456, totalMs: 40.04 },
    address: '203.0.113.7',
    ...overrides,
    headers,
    body,
  };
}

/** The event as the strategy reads it back: must pass the events topic's schema. */
function roundTrip(event: PageFetched): PageFetched {
  return decodeMessage(encodeMessage(event), 'events') as PageFetched;
}

function roundTripDocument(document: PageDocument): PageDocument {
  return decodeMessage(encodeMessage(document), 'pages') as PageDocument;
}

const html = (head: string, body: string) =>
  `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;

describe('handlePage', () => {
  it('turns an HTML page into a page.fetched event with its links, resolved against the final URL', () => {
    const page = html(
      '<title>A page</title><link rel="canonical" href="/dir/page?x=1">',
      '<p>Hello <a href="next">Next  page</a> and <a href="/other" rel="nofollow ugc">Other</a>' +
        ' and <a href="http://elsewhere.example/">Away</a> and <a href="mailto:x@y.z">mail</a></p>',
    );
    const { event, document } = handlePage(
      request({ meta: { source: 'seed' } }),
      testJob(),
      response({
        body: page,
        finalUrl: 'http://site.example/moved/page',
        redirects: [{ url: PAGE_URL, status: 301 }],
      }),
      NOW,
    );
    expect(roundTrip(event)).toEqual(event);
    expect(event).toMatchObject({
      type: 'page.fetched',
      job: 'job-1',
      url: PAGE_URL,
      fp: '0123456789abcdef',
      depth: 2,
      attempt: 1,
      lease: 'lease-7',
      meta: { source: 'seed' },
      status: 200,
      finalUrl: 'http://site.example/moved/page',
      redirects: [{ url: PAGE_URL, status: 301 }],
      fetchedAt: NOW,
      timings: { ttfbMs: 12.3, totalMs: 40 },
      bytes: page.length,
      contentType: 'text/html',
      canonical: 'http://site.example/dir/page?x=1',
    });
    expect(event.links).toEqual([
      { url: 'http://site.example/dir/page?x=1', rel: ['canonical'] },
      { url: 'http://site.example/moved/next', text: 'Next page' },
      { url: 'http://site.example/other', text: 'Other', rel: ['nofollow', 'ugc'], nofollow: true },
      { url: 'http://elsewhere.example/', text: 'Away' },
    ]);
    expect(event.noindex).toBeUndefined();
    expect(event.nofollow).toBeUndefined();
    // The default job publishes no documents.
    expect(document).toBeUndefined();
  });

  it('reports the page-wide robots directives of <meta name="robots">', () => {
    const { event } = handlePage(
      request(),
      testJob(),
      response({ body: html('<meta name="robots" content="noindex, nofollow">', '<a href="/a">A</a>') }),
      NOW,
    );
    expect(event).toMatchObject({ noindex: true, nofollow: true });
    expect(event.links).toEqual([{ url: 'http://site.example/a', text: 'A' }]);
  });

  it('reports nofollow and noindex from X-Robots-Tag lines addressed to everyone or to its token', () => {
    const page = response({
      body: html('', '<a href="/a">A</a>'),
      robotsTags: ['otherbot: noarchive', 'mybot: nofollow', 'noindex'],
    });
    const { event } = handlePage(request(), testJob(), page, NOW, 'MyBot');
    expect(event).toMatchObject({ noindex: true, nofollow: true });
    // Another crawler's lines are not ours.
    const other = handlePage(
      request(),
      testJob(),
      response({ body: html('', ''), robotsTags: ['mybot: nofollow'] }),
      NOW,
    );
    expect(other.event.nofollow).toBeUndefined();
    // A file that is not HTML still says noindex in its header.
    const pdf = handlePage(
      request(),
      testJob(),
      response({
        headers: { 'content-type': 'application/pdf' },
        skippedBody: true,
        robotsTags: ['noindex'],
      }),
      NOW,
    );
    expect(pdf.event.noindex).toBe(true);
  });

  it("puts the page's robots directives, meta and header combined, in the page document", () => {
    const page = response({
      body: html('<meta name="robots" content="nosnippet"><meta name="kraul" content="noindex">', '<p>x</p>'),
      robotsTags: ['kraul: noarchive', 'otherbot: nofollow'],
    });
    const { document, event } = handlePage(request(), testJob({ output: { pages: 'text' } }), page, NOW);
    expect(document?.robots).toEqual({
      noindex: true,
      nofollow: false,
      noarchive: true,
      nosnippet: true,
      noimageindex: false,
      notranslate: false,
    });
    expect(event).toMatchObject({ noindex: true });
    expect(event.nofollow).toBeUndefined();
    // It survives the wire format.
    expect(roundTripDocument(document!).robots).toEqual(document?.robots);

    const plain = handlePage(
      request(),
      testJob({ output: { pages: 'html' } }),
      response({ body: html('', '') }),
      NOW,
    );
    expect(plain.document?.robots).toEqual({
      noindex: false,
      nofollow: false,
      noarchive: false,
      nosnippet: false,
      noimageindex: false,
      notranslate: false,
    });
  });

  it('decodes a legacy encoding declared only in the page', () => {
    const gbk = ENCODED_PAGES.gbk;
    // The GBK bytes of gbk.text, 中文网页.
    const body = Buffer.concat([
      Buffer.from(html('<meta charset="gbk">', `<a href="${gbk.link}">`).replace('</body></html>', '')),
      Buffer.from('d6d0cec4cdf8d2b3', 'hex'),
      Buffer.from('</a></body></html>'),
    ]);
    const { event } = handlePage(
      request(),
      testJob(),
      response({ body, headers: { 'content-type': 'text/html' } }),
      NOW,
    );
    expect(event.links).toEqual([{ url: `http://site.example${gbk.link}`, text: gbk.text }]);
  });

  it('reads a sitemap: its pages as links, its child sitemaps as sitemaps', () => {
    const urlset =
      '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
      '<url><loc>http://site.example/p/1</loc></url><url><loc> http://site.example/p/2 </loc></url></urlset>';
    const { event, document } = handlePage(
      request({ url: 'http://site.example/sitemap.xml' }),
      testJob({ output: { pages: 'html' } }),
      response({ body: urlset, headers: { 'content-type': 'application/xml; charset=utf-8' } }),
      NOW,
    );
    expect(roundTrip(event).links).toEqual([
      { url: 'http://site.example/p/1', rel: ['sitemap'] },
      { url: 'http://site.example/p/2', rel: ['sitemap'] },
    ]);
    expect(document).toBeUndefined();

    const index =
      '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
      '<sitemap><loc>http://site.example/sitemap-2.xml.gz</loc></sitemap></sitemapindex>';
    // Asked for as a sitemap: read as one whatever type the server names.
    const fromIndex = handlePage(
      request({ url: 'http://site.example/index', meta: { kind: 'sitemap' } }),
      testJob(),
      response({ body: index, headers: { 'content-type': 'text/plain' } }),
      NOW,
    ).event;
    expect(fromIndex.links).toEqual([]);
    expect(fromIndex.sitemaps).toEqual(['http://site.example/sitemap-2.xml.gz']);
  });

  it('reads a gzipped sitemap file (a gzip body, not a Content-Encoding)', () => {
    const urlset =
      '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://site.example/p/9</loc></url></urlset>';
    const { event } = handlePage(
      request({ url: 'http://site.example/sitemap.xml.gz', meta: { kind: 'sitemap' } }),
      testJob(),
      response({ body: gzipSync(urlset), headers: { 'content-type': 'application/gzip' } }),
      NOW,
    );
    expect(event.links).toEqual([{ url: 'http://site.example/p/9', rel: ['sitemap'] }]);
  });

  it('keeps a sitemap that inflates past the cap from taking the memory', () => {
    // 120 MiB of zeros, over the 50 MB a sitemap may hold, compress to about 120 KB.
    const bomb = gzipSync(Buffer.alloc(120 * 1024 * 1024));
    const before = process.memoryUsage().rss;
    const { event } = handlePage(
      request({ url: 'http://site.example/sitemap.xml.gz', meta: { kind: 'sitemap' } }),
      testJob(),
      response({ body: bomb, headers: { 'content-type': 'application/gzip' } }),
      NOW,
    );
    expect(event.links).toEqual([]);
    expect((process.memoryUsage().rss - before) / 1024 / 1024).toBeLessThan(150);
  });

  it('reports non-2xx answers with their status and nothing read from their body', () => {
    const errorPage = html('<title>Not here</title>', '<a href="/home">Home</a>');
    for (const status of [404, 410, 500]) {
      const { event, document } = handlePage(
        request(),
        testJob({ output: { pages: 'html' } }),
        response({ status, body: errorPage }),
        NOW,
      );
      expect(roundTrip(event)).toMatchObject({ status, links: [] });
      expect(document).toBeUndefined();
    }
    // An unfollowed redirect is a fetched page too, with no links.
    const { event } = handlePage(
      request(),
      testJob(),
      response({ status: 301, headers: { location: '/elsewhere' }, body: '' }),
      NOW,
    );
    expect(event).toMatchObject({ status: 301, links: [] });
  });

  it('marks a 304 answer to a conditional GET as not modified and keeps its validators', () => {
    const { event, document } = handlePage(
      request({ validators: { etag: '"v1"' } }),
      testJob({ output: { pages: 'text' } }),
      response({ status: 304, headers: { etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' } }),
      NOW,
    );
    expect(roundTrip(event)).toMatchObject({
      status: 304,
      notModified: true,
      validators: { etag: '"v1"', lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT' },
      links: [],
    });
    expect(document).toBeUndefined();
  });

  it('keeps the validators of a 200 answer for the next conditional GET', () => {
    const { event } = handlePage(
      request(),
      testJob(),
      response({ body: html('', 'x'), headers: { 'content-type': 'text/html', etag: 'W/"abc"' } }),
      NOW,
    );
    expect(event.validators).toEqual({ etag: 'W/"abc"' });
    expect(event.notModified).toBeUndefined();
  });

  it('records a body it did not read by type and announced size, with no links', () => {
    expect(wantsBody('image/png')).toBe(false);
    expect(wantsBody('text/html')).toBe(true);
    expect(wantsBody(undefined)).toBe(true);
    const { event, document } = handlePage(
      request(),
      testJob({ output: { pages: 'html' } }),
      response({
        headers: { 'content-type': 'image/png', 'content-length': '5120' },
        contentLength: 5_120,
        skippedBody: true,
        bytesDecoded: 0,
      }),
      NOW,
    );
    expect(event).toMatchObject({ status: 200, contentType: 'image/png', bytes: 5_120, links: [] });
    expect(document).toBeUndefined();
  });

  it('publishes the page document the job asks for: visible text, or the HTML up to the cap', () => {
    const page = html(
      '<title>Doc title</title><style>p{}</style>',
      '<h1>Heading</h1><p>Some <b>body</b> text.</p>',
    );
    const asText = handlePage(
      request(),
      testJob({ output: { pages: 'text' } }),
      response({ body: page }),
      NOW,
    );
    expect(roundTripDocument(asText.document!)).toEqual(asText.document);
    expect(asText.document).toMatchObject({
      type: 'page.document',
      job: 'job-1',
      url: PAGE_URL,
      fp: '0123456789abcdef',
      finalUrl: PAGE_URL,
      status: 200,
      fetchedAt: NOW,
      contentType: 'text/html',
      headers: { 'content-type': 'text/html; charset=utf-8' },
      title: 'Doc title',
    });
    expect(asText.document!.text).toContain('Heading');
    expect(asText.document!.text).toContain('Some body text.');
    expect(asText.document!.text).not.toContain('p{}');
    expect(asText.document!.html).toBeUndefined();
    expect(asText.document!.truncated).toBeUndefined();

    const asHtml = handlePage(
      request(),
      testJob({ output: { pages: 'html' } }),
      response({ body: page }),
      NOW,
    );
    expect(asHtml.document).toMatchObject({ html: page, title: 'Doc title' });
    expect(asHtml.document!.truncated).toBeUndefined();

    const cut = handlePage(
      request(),
      testJob({ output: { pages: 'html', maxChars: 20 } }),
      response({ body: page }),
      NOW,
    );
    expect(cut.document).toMatchObject({ html: page.slice(0, 20), truncated: true });

    const cutText = handlePage(
      request(),
      testJob({ output: { pages: 'text', maxChars: 5 } }),
      response({ body: page }),
      NOW,
    );
    expect(cutText.document).toMatchObject({ text: 'Headi', truncated: true });
  });

  it('keeps what a hostile server sends within what the protocol accepts', () => {
    const longToken = 'x'.repeat(100);
    const page = html(
      '',
      `<a href="/a" rel="${longToken} nofollow">A</a><a href="/b" rel="${longToken}">B</a>`,
    );
    const { event, document } = handlePage(
      request(),
      testJob({ output: { pages: 'text' } }),
      response({
        body: page,
        headers: {
          'content-type': 'text/html',
          etag: `"${'e'.repeat(5_000)}"`,
          'last-modified': 'L'.repeat(1_000),
          'set-cookie': 'c'.repeat(20_000),
          [`x-${'n'.repeat(300)}`]: 'v',
        },
      }),
      NOW,
    );
    expect(roundTrip(event)).toEqual(event);
    expect(event.links).toEqual([
      { url: 'http://site.example/a', text: 'A', rel: ['nofollow'], nofollow: true },
      { url: 'http://site.example/b', text: 'B' },
    ]);
    expect(event.validators).toBeUndefined();
    expect(roundTripDocument(document!)).toEqual(document);
    // Headers that fit stay; the over-long cookie and header name go.
    expect(Object.keys(document!.headers).sort()).toEqual(['content-type', 'etag', 'last-modified']);

    const strangeType = `application/${'z'.repeat(300)}`;
    const odd = handlePage(
      request(),
      testJob(),
      response({ headers: { 'content-type': strangeType }, skippedBody: true, contentLength: 10 }),
      NOW,
    );
    expect(roundTrip(odd.event).contentType).toBeUndefined();
  });
});
