import { describe, expect, it } from 'vitest';
import { loadDocument } from '../src/index.ts';

describe('loadDocument', () => {
  it('gives a cheerio API over the page', () => {
    const $ = loadDocument('<ul class="items"><li data-id="1">One</li><li data-id="2">Two</li></ul>');
    expect(
      $('ul.items li')
        .map((_, element) => `${$(element).attr('data-id')}:${$(element).text()}`)
        .get(),
    ).toEqual(['1:One', '2:Two']);
  });

  it('resolves href props against baseUrl when given', () => {
    const $ = loadDocument('<a href="../next?p=2">next</a>', { baseUrl: 'https://example.com/a/b/page' });
    expect($('a').prop('href')).toBe('https://example.com/a/next?p=2');
  });

  it('parses <noscript> content as markup, as a client without scripts sees it', () => {
    const $ = loadDocument('<body><noscript><a href="/fallback">fallback</a></noscript></body>');
    expect($('noscript a').attr('href')).toBe('/fallback');
  });
});
