import { describe, expect, it } from 'vitest';
import { extractSitemap } from '../src/sitemap.ts';

describe('extractSitemap', () => {
  it('reads the pages of a urlset, entities and whitespace included', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc> https://example.com/a?x=1&amp;y=2 </loc><lastmod>2026-01-01</lastmod></url>
        <url><loc>https://example.com/b#frag</loc></url>
        <url><loc>ftp://example.com/c</loc></url>
        <url><loc>not a url</loc></url>
      </urlset>`;
    expect(extractSitemap(xml)).toEqual({
      pages: ['https://example.com/a?x=1&y=2', 'https://example.com/b'],
      sitemaps: [],
      skipped: 2,
    });
  });

  it('reads the child sitemaps of an index, with a namespace prefix', () => {
    const xml = `<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sm:sitemap><sm:loc>https://example.com/s1.xml</sm:loc></sm:sitemap>
      <sm:sitemap><sm:loc>https://example.com/s2.xml.gz</sm:loc></sm:sitemap>
    </sm:sitemapindex>`;
    expect(extractSitemap(xml)).toEqual({
      pages: [],
      sitemaps: ['https://example.com/s1.xml', 'https://example.com/s2.xml.gz'],
      skipped: 0,
    });
  });

  it('caps the entries and ignores loc outside url or sitemap', () => {
    const urls = Array.from({ length: 10 }, (_, i) => `<url><loc>https://example.com/${i}</loc></url>`).join(
      '',
    );
    const result = extractSitemap(`<urlset><loc>https://example.com/stray</loc>${urls}</urlset>`, {
      maxEntries: 4,
    });
    expect(result.pages).toEqual([
      'https://example.com/0',
      'https://example.com/1',
      'https://example.com/2',
      'https://example.com/3',
    ]);
    expect(result.skipped).toBe(6);
  });
});

describe('extractSitemap on hostile XML', () => {
  it('stays linear on deep nesting and stray end tags', () => {
    const n = 200_000;
    const nested = `<urlset>${'<x>'.repeat(n)}<url><loc>https://example.com/a</loc></url>${'</x>'.repeat(n)}</urlset>`;
    expect(extractSitemap(nested).pages).toEqual(['https://example.com/a']);
    const stray = `<urlset>${'<x>'.repeat(n)}${'</y>'.repeat(n)}<url><loc>https://example.com/b</loc></url></urlset>`;
    expect(extractSitemap(stray).pages).toEqual(['https://example.com/b']);
  });

  it('reads CDATA and caps a giant loc', () => {
    const xml = `<urlset><url><loc><![CDATA[https://example.com/c]]></loc></url><url><loc>https://example.com/${'a'.repeat(100_000)}</loc></url></urlset>`;
    expect(extractSitemap(xml)).toEqual({ pages: ['https://example.com/c'], sitemaps: [], skipped: 1 });
  });
});
