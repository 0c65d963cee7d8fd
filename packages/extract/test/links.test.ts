import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import {
  type ExtractedLink,
  extractLinks,
  extractLinksWithCheerio,
  noRobotsDirectives,
} from '../src/index.ts';
import { RICH_PAGE } from './fixtures/rich-page.ts';

const PAGE_URL = 'https://www.example.com/shop/index.html';

function link(url: string, text: string, extra: Partial<ExtractedLink> = {}): ExtractedLink {
  return { url, text, rel: [], nofollow: false, tag: 'a', ...extra };
}

const books = 'https://www.example.com/catalog/books/';

describe('extractLinks on a rich page', () => {
  const page = extractLinks(RICH_PAGE, PAGE_URL);

  it('finds every link once, in document order, resolved against the first <base href>', () => {
    expect(page.links).toEqual([
      link(`${books}index.html`, '', { rel: ['canonical'], tag: 'link' }),
      link(`${books}?page=2`, '', { rel: ['next'], tag: 'link' }),
      link(`${books}?page=0`, '', { rel: ['prev'], tag: 'link' }),
      link('https://www.example.de/katalog/buecher/', '', {
        rel: ['alternate'],
        tag: 'link',
        hreflang: 'de',
      }),
      // `#top` on the page resolves against the base to the same URL: its text fills the empty one.
      link(books, 'back to top', { rel: ['alternate'], tag: 'link', hreflang: 'x-default' }),
      link(`${books}novel.html`, 'Novels'),
      link('https://www.example.com/catalog/magazines/', 'Magazines'),
      link('https://www.example.com/about', 'About us and them'),
      link('https://cdn.example.org/assets/guide.pdf', 'Guide'),
      link(`${books}spaced.html`, 'Spaced'),
      link(`${books}multiline.html`, 'Multi line'),
      link(`${books}search?q=kafka&lang=en&page=1`, 'Search'),
      link('https://partner.example.org/deal', 'Deal', { rel: ['sponsored', 'noopener'], nofollow: true }),
      link('https://forum.example.org/thread', 'Thread', { rel: ['ugc'], nofollow: true }),
      // Marked nofollow first, followable later: followable, with the followable occurrence's rel.
      link('https://other.example.org/', 'Other'),
      link(`${books}shelf.html`, 'Shelf text'),
      link('https://www.example.com/map/north', 'North region', { tag: 'area' }),
      link('https://www.example.com/map/south', '', { tag: 'area', rel: ['nofollow'], nofollow: true }),
      link('https://www.example.com/no-js', 'Without scripts'),
    ]);
  });

  it('reports title, canonical, base and robots meta', () => {
    expect(page.title).toBe('Rich fixture & friends');
    expect(page.canonical).toBe(`${books}index.html`);
    expect(page.base).toBe(books);
    // `googlebot` asks for nofollow, but only `robots` counts.
    expect(page.metaRobots).toEqual({ ...noRobotsDirectives(), noindex: true });
  });

  it('counts javascript:, mailto:, data:, tel: and unparsable hrefs as skipped', () => {
    expect(page.skipped).toBe(5);
    expect(page.truncatedLinks).toBe(0);
  });

  it('ignores links in scripts, styles and templates, stylesheets, icons and feeds', () => {
    const urls = page.links.map((found) => found.url);
    for (const ignored of ['in-script', 'in-style', 'in-template', 'site.css', 'favicon', 'feed.xml']) {
      expect(urls.some((url) => url.includes(ignored))).toBe(false);
    }
  });
});

describe('extractLinks', () => {
  it('resolves against the page URL without a <base>, and keeps the page URL itself for "#"', () => {
    const html = '<a href="a/b/../c">c</a><a href="#">self</a><a href="?q=1#x">query</a><a href="">empty</a>';
    const page = extractLinks(html, 'https://Example.com/dir/page.html#frag');
    expect(page.links.map((found) => found.url)).toEqual([
      'https://example.com/dir/a/c',
      'https://example.com/dir/page.html',
      'https://example.com/dir/page.html?q=1',
    ]);
    expect(page.links[1]!.text).toBe('self');
    expect(page.base).toBeUndefined();
  });

  it('honours a <base> that comes after the links, as the document base URL does', () => {
    const html = '<a href="x.html">x</a><base href="https://cdn.example.org/mirror/">';
    const page = extractLinks(html, PAGE_URL);
    expect(page.links[0]!.url).toBe('https://cdn.example.org/mirror/x.html');
    expect(page.base).toBe('https://cdn.example.org/mirror/');
  });

  it('ignores a <base> that is not http(s)', () => {
    const page = extractLinks('<base href="javascript:alert(1)"><a href="x.html">x</a>', PAGE_URL);
    expect(page.base).toBeUndefined();
    expect(page.links[0]!.url).toBe('https://www.example.com/shop/x.html');
  });

  it('keeps the first of duplicate attributes, as HTML does', () => {
    const page = extractLinks('<a href="/first" href="/second" rel="nofollow" rel="">x</a>', PAGE_URL);
    expect(page.links).toEqual([
      link('https://www.example.com/first', 'x', { rel: ['nofollow'], nofollow: true }),
    ]);
  });

  it('merges duplicates: first position, first non-empty text, followable if any occurrence is', () => {
    const html =
      '<a href="/p" rel="nofollow"><img src=i.png></a><a href="/q">q</a><a href="/p#x" rel="sponsored">second</a>' +
      '<a href="/p" rel="external">third</a>';
    expect(extractLinks(html, PAGE_URL).links).toEqual([
      link('https://www.example.com/p', 'second', { rel: ['external'] }),
      link('https://www.example.com/q', 'q'),
    ]);
  });

  it('reads robots meta: none, several tags, space-separated tokens, case and whitespace', () => {
    const robots = (metas: string) => extractLinks(metas, PAGE_URL).metaRobots;
    expect(robots('<meta name="robots" content="none">')).toMatchObject({ noindex: true, nofollow: true });
    expect(
      robots('<meta name=" Robots " content="NOFOLLOW"><meta name="robots" content="noindex">'),
    ).toMatchObject({ noindex: true, nofollow: true });
    expect(robots('<meta name="robots" content="noindex nofollow">')).toMatchObject({
      noindex: true,
      nofollow: true,
    });
    expect(robots('<meta name="robots" content=" NoArchive,nosnippet ">')).toEqual({
      ...noRobotsDirectives(),
      noarchive: true,
      nosnippet: true,
    });
    expect(robots('<meta name="robots" content="index, follow, max-snippet:-1">')).toEqual(
      noRobotsDirectives(),
    );
    expect(robots('<meta name="bingbot" content="none"><meta content="none">')).toEqual(noRobotsDirectives());
  });

  it("reads the meta named after the crawler's product token, in the same pass", () => {
    const html =
      '<meta name="KraulBot" content="noindex"><meta name="otherbot" content="nofollow">' +
      '<template><meta name="robots" content="nosnippet"></template><a href="/a">a</a>';
    const withToken = extractLinks(html, PAGE_URL, { robotsToken: 'kraulbot' });
    expect(withToken.metaRobots).toEqual({ ...noRobotsDirectives(), noindex: true });
    expect(withToken.links).toHaveLength(1);
    expect(extractLinks(html, PAGE_URL).metaRobots).toEqual(noRobotsDirectives());
    expect(extractLinksWithCheerio(html, PAGE_URL, { robotsToken: 'kraulbot' }).metaRobots).toEqual(
      withToken.metaRobots,
    );
  });

  it('closes an unclosed <a> at the next <a> and at the end of its table cell', () => {
    const html =
      '<a href="/one">one <a href="/two">two<table><tr><td><a href="/three">three</td><td>cell</td></tr></table>';
    expect(extractLinks(html, PAGE_URL).links.map((found) => found.text)).toEqual(['one', 'two', 'three']);
  });

  it('ends an anchor left open at the end of the page with what it has', () => {
    expect(extractLinks('<p><a href="/x">open until   the end', PAGE_URL).links[0]!.text).toBe(
      'open until the end',
    );
  });

  it('caps anchor text and title after collapsing whitespace', () => {
    const html = `<title>${'T'.repeat(50)}</title><a href="/x">  ${'word '.repeat(100)}</a>`;
    const page = extractLinks(html, PAGE_URL, { maxAnchorTextChars: 12, maxTitleChars: 7 });
    expect(page.links[0]!.text).toBe('word word wo');
    expect(page.title).toBe('TTTTTTT');
  });

  it('keeps the first maxLinks unique links and counts the dropped ones', () => {
    let html = '';
    for (let index = 0; index < 10; index++) html += `<a href="/page-${index}">${index}</a>`;
    html += '<a href="/page-1" rel="x">again</a><a href="/page-12">twelve</a>';
    const page = extractLinks(html, PAGE_URL, { maxLinks: 4 });
    expect(page.links.map((found) => found.url.slice(-6))).toEqual(['page-0', 'page-1', 'page-2', 'page-3']);
    expect(page.truncatedLinks).toBe(7);
  });

  it('still merges duplicates of kept links once the cap is reached', () => {
    const html = '<a href="/a" rel="nofollow">a</a><a href="/b">b</a><a href="/a">a again</a>';
    const page = extractLinks(html, PAGE_URL, { maxLinks: 1 });
    expect(page.links).toEqual([link('https://www.example.com/a', 'a')]);
    expect(page.truncatedLinks).toBe(1);
  });

  it('skips hrefs whose URL is longer than maxUrlLength, even huge ones', () => {
    const long = `/${'x'.repeat(300)}`;
    const huge = `/${'y'.repeat(5_000_000)}`;
    const page = extractLinks(
      `<a href="${long}">long</a><a href="${huge}">huge</a><a href="/ok#${'f'.repeat(1000)}">ok</a>`,
      PAGE_URL,
      { maxUrlLength: 200 },
    );
    expect(page.links.map((found) => found.url)).toEqual(['https://www.example.com/ok']);
    expect(page.skipped).toBe(2);
  });

  it('applies the query normalisation of the job', () => {
    const page = extractLinks('<a href="/p?utm_source=x&b=2&a=1">p</a>', PAGE_URL, {
      normalize: { sortQuery: true, stripParams: [/^utm_/] },
    });
    expect(page.links[0]!.url).toBe('https://www.example.com/p?a=1&b=2');
  });

  it('decodes entities in hrefs the HTML way', () => {
    const page = extractLinks(
      '<a href="/a?x=1&amp;y=2&#38;z=3">a</a><a href="/b?copy=1&lang=en&copy;">b</a>',
      PAGE_URL,
    );
    expect(page.links.map((found) => found.url)).toEqual([
      'https://www.example.com/a?x=1&y=2&z=3',
      // `&lang` and a legacy `&copy` before `=` stay literal in attributes; `&copy;` is ©.
      'https://www.example.com/b?copy=1&lang=en%C2%A9',
    ]);
  });

  it('throws the typed URL error for a page URL that is not absolute http(s)', () => {
    expect(() => extractLinks('<a href="/x">x</a>', '/relative')).toThrow(KraulError);
    expect(() => extractLinks('<a href="/x">x</a>', 'ftp://example.com/')).toThrowError(
      expect.objectContaining({ code: 'url.unsupported_scheme' }),
    );
  });

  it('returns an empty result for an empty page', () => {
    expect(extractLinks('', PAGE_URL)).toEqual({
      links: [],
      metaRobots: noRobotsDirectives(),
      skipped: 0,
      truncatedLinks: 0,
    });
  });
});
