import { describe, expect, it } from 'vitest';
import { extractLinks, extractText } from '../src/index.ts';

const PAGE_URL = 'https://www.example.com/';

// Each of these took htmlparser2's Parser (and parse5) seconds to minutes, as its element stack is
// quadratic in nesting; the vitest timeout is the bound. No timing assertions: only completion.
describe('hostile HTML', () => {
  it('handles 100,000 links: keeps maxLinks, counts the rest', () => {
    let html = '<html><body>';
    for (let index = 0; index < 100_000; index++) html += `<a href="/p/${index}">link ${index}</a>\n`;
    const page = extractLinks(html, PAGE_URL);
    expect(page.links).toHaveLength(5000);
    expect(page.links[4999]).toMatchObject({ url: 'https://www.example.com/p/4999', text: 'link 4999' });
    expect(page.truncatedLinks).toBe(95_000);
  });

  it('handles 50,000 nested <div>s, closed and unclosed', () => {
    const link = '<a href="/deep">deep</a>';
    const closed = extractLinks(`${'<div>'.repeat(50_000)}${link}${'</div>'.repeat(50_000)}`, PAGE_URL);
    expect(closed.links.map((found) => found.text)).toEqual(['deep']);
    const unclosed = extractLinks(`${'<div><span>'.repeat(50_000)}${link}${'</b>'.repeat(50_000)}`, PAGE_URL);
    expect(unclosed.links.map((found) => found.text)).toEqual(['deep']);
    expect(extractText(`${'<div>'.repeat(50_000)}deep text`)).toBe('deep text');
  });

  it('handles 100,000 unclosed <a> tags, each closing the one before', () => {
    const page = extractLinks('<a href="/same">x'.repeat(100_000), PAGE_URL);
    expect(page.links).toEqual([
      { url: 'https://www.example.com/same', text: 'x', rel: [], nofollow: false, tag: 'a' },
    ]);
  });

  it('handles a megabyte of text inside one link and a megabyte-long rel', () => {
    const html = `<a href="/big" rel="${'x '.repeat(500_000)}nofollow">${'word '.repeat(200_000)}</a>`;
    const [found] = extractLinks(html, PAGE_URL).links;
    expect(found!.text).toBe('word '.repeat(40).trim());
    expect(found!.nofollow).toBe(true);
    expect(found!.rel).toEqual(['x', 'nofollow']);
  });

  it('handles a rel of 100,000 distinct tokens: keeps 16, still sees nofollow at the end', () => {
    const rel = Array.from({ length: 100_000 }, (_, index) => `t${index}`).join(' ');
    const [found] = extractLinks(`<a href="/r" rel="${rel} UGC">r</a>`, PAGE_URL).links;
    expect(found!.rel).toHaveLength(16);
    expect(found!.rel[15]).toBe('t15');
    expect(found!.nofollow).toBe(true);
  });

  it('handles an href made of a million character references', () => {
    const page = extractLinks(
      `<a href="/x?${'&amp;'.repeat(1_000_000)}">x</a><a href="/ok">ok</a>`,
      PAGE_URL,
    );
    expect(page.links.map((found) => found.text)).toEqual(['ok']);
    expect(page.skipped).toBe(1);
  });

  it('handles a never-closed <template>, comment and attribute without crashing', () => {
    expect(
      extractLinks('<a href="/before">b</a><template><a href="/inside">i</a>', PAGE_URL).links,
    ).toHaveLength(1);
    expect(extractLinks('<a href="/before">b</a><!-- <a href="/inside">i</a>', PAGE_URL).links).toHaveLength(
      1,
    );
    expect(extractLinks('<a href="/before">b</a><a href="/unterminated', PAGE_URL).links).toHaveLength(1);
  });

  it('handles 100,000 stray end tags and bogus markup', () => {
    const html = `${'</a></td></template></script><//><![CDATA[x]]><?pi?>'.repeat(20_000)}<a href="/ok">ok</a>`;
    expect(extractLinks(html, PAGE_URL).links.map((found) => found.text)).toEqual(['ok']);
  });
});
