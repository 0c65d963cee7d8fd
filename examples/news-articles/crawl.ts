import { defineCrawl } from '@kraul/framework';
import { z } from 'zod';

const article = z.object({
  url: z.string().url(),
  headline: z.string().min(1),
  author: z.string().min(1),
  publishedAt: z.string().datetime(),
  text: z.string().min(1),
});

/**
 * Article extraction from a news site: the front page's headlines lead to articles, whose
 * headline, author, date and body text become items. Related-article links are followed too
 * (each article is fetched once); ads, tags and the login page are not.
 *
 * `NEWS_ORIGIN` names the site (the examples' tests point it at a local fixture site).
 */
export default defineCrawl({
  name: 'news-articles',
  seeds: [{ url: `${process.env['NEWS_ORIGIN'] ?? 'https://news.example'}/news/`, label: 'front' }],
  scope: { mode: 'host' },
  politeness: { delayMs: 500 },
  limits: { maxPages: 500, maxDepth: 3 },
  item: article,
  handlers: {
    front: ({ $, enqueue }) => {
      enqueue(
        $('a.headline')
          .map((_, a) => $(a).attr('href'))
          .get(),
        { label: 'article' },
      );
    },
    article: ({ $, url, push, enqueue }) => {
      push({
        url,
        headline: $('article h1').text().trim(),
        author: $('.byline .author').text().trim(),
        publishedAt: $('article time').attr('datetime') ?? '',
        text: $('article .body p')
          .map((_, p) => $(p).text().trim())
          .get()
          .join('\n'),
      });
      enqueue(
        $('a.related')
          .map((_, a) => $(a).attr('href'))
          .get(),
        { label: 'article' },
      );
    },
  },
});
