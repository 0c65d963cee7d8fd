import { describe, expect, it } from 'vitest';
import { buildRealisticPage } from '../bench/realistic-page.ts';
import { extractLinks, extractLinksWithCheerio } from '../src/index.ts';
import { RICH_PAGE } from './fixtures/rich-page.ts';

const PAGE_URL = 'https://www.example.com/shop/index.html';

const pages: Record<string, string> = {
  'rich fixture': RICH_PAGE,
  'benchmark page': buildRealisticPage(),
  'fragment without html/head/body': '<title>Bare</title><a href=/x>x</a><p>text <a href="y?a=1&amp;b">y</a>',
  'base after links, robots none':
    '<a href="rel">r</a><base href="https://cdn.example.org/m/"><meta name=robots content=none>',
  'nested inline markup and entities':
    '<a href="/e">caf&eacute; &lt;b&gt; <span><i>deep</i></span>&#x1F600;</a>',
  // References decoded apart from the tokenizer: legacy names without `;` count in text but not
  // before `=` or a letter in an attribute, numeric ones are remapped, no-break spaces collapse.
  'character references in text, titles and attributes':
    '<title>Caf&eacute &amp; more&#x20AC;</title><base href="/b/?a=1&amp;b=2">' +
    '<meta name="r&#111;bots" content="no&#102;ollow">' +
    '<a href="/q?x=1&copy=2&amp;y=&lt;3">&copy 2024&nbsp;&nbsp;&#x80;&#0;x &notit; &notin;</a>' +
    '<a href=/u?a=1&amp;b=2 rel="no&#x66;ollow">un&shy;quoted&#65;</a><area href="/m&#x3f;p=1" alt="A&amp;B">',
  'areas, alternates and duplicates':
    '<link rel=alternate hreflang=fr href=/fr><map><area href=/fr alt="Français"></map><a href=/fr rel=nofollow>fr</a>',
  'caps reached': Array.from(
    { length: 60 },
    (_, index) => `<a href="/p${index % 40}">${'t'.repeat(index)}</a>`,
  ).join(''),
  'templates and noscript':
    '<template><base href="https://evil.example/"><title>no</title><a href=/t>t</a></template><noscript><a href=/n>n</a></noscript>',
  'script and style inside links':
    '<a href=/s>before<script>var x="<a href=/no>"</script><style>a{}</style> after</a>',
};

describe('extractLinks and extractLinksWithCheerio agree', () => {
  for (const [name, html] of Object.entries(pages)) {
    it(name, () => {
      const options = { maxLinks: 30, maxAnchorTextChars: 40 };
      const streaming = extractLinks(html, PAGE_URL, options);
      expect(streaming.links.length).toBeGreaterThan(0);
      expect(extractLinksWithCheerio(html, PAGE_URL, options)).toEqual(streaming);
    });
  }
});
