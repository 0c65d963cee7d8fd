import { defineCrawl } from '@kraul/framework';
import { z } from 'zod';

const product = z.object({
  url: z.string().url(),
  name: z.string().min(1),
  cents: z.number().int().positive(),
  category: z.string().min(1),
  listPage: z.number().int().min(1),
});

/**
 * A paginated product listing with detail pages: the list handler follows rel=next and sends
 * each product to the detail handler, with the listing page it was found on as user data;
 * the detail handler extracts the product. Products are fetched before further listing pages
 * (a higher score).
 *
 * `SHOP_ORIGIN` names the site (the examples' tests point it at a local fixture site).
 */
export default defineCrawl({
  name: 'product-listing',
  seeds: [
    {
      url: `${process.env['SHOP_ORIGIN'] ?? 'https://shop.example'}/shop/list?page=1`,
      label: 'list',
      userData: { page: 1 },
    },
  ],
  scope: { mode: 'host' },
  politeness: { delayMs: 500 },
  limits: { maxPages: 10_000 },
  item: product,
  handlers: {
    list: ({ $, enqueue, userData }) => {
      const page = Number(userData['page'] ?? 1);
      enqueue(
        $('a.product')
          .map((_, a) => $(a).attr('href'))
          .get(),
        {
          label: 'detail',
          score: 10,
          userData: { page },
        },
      );
      const next = $('a[rel=next]').attr('href');
      if (next) enqueue(next, { label: 'list', userData: { page: page + 1 } });
    },
    detail: ({ $, url, push, userData }) => {
      push({
        url,
        name: $('h1').text().trim(),
        cents: Number($('.price').attr('data-cents')),
        category: $('.category').text().trim(),
        listPage: Number(userData['page']),
      });
    },
  },
});
