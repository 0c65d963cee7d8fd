import { defineCrawl } from '@kraul/framework';

/**
 * A sitemap-driven crawl: the seed is the site's sitemap, kraul reads it and fetches every
 * page it lists, and the default handler keeps each page's title and word count. Nothing
 * else is followed: the handler enqueues nothing.
 *
 * `SITE_ORIGIN` names the site (the examples' tests point it at a local fixture site).
 */
export default defineCrawl({
  name: 'sitemap-pages',
  seeds: [`${process.env['SITE_ORIGIN'] ?? 'https://www.example'}/sitemap.xml`],
  scope: { mode: 'host' },
  politeness: { delayMs: 500 },
  handle: ({ $, url, push }) => {
    const words = $('body').text().split(/\s+/).filter(Boolean).length;
    push({ url, title: $('title').text().trim(), words });
  },
});
