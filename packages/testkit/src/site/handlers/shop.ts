import type { Handler } from '../context.ts';
import { escapeHtml } from '../html.ts';
import { sendHtml, sendNotFound } from '../respond.ts';

/** The shop's catalogue: 3 listing pages of 4 products each, the same on every run. */
export const SHOP_PAGES = 3;
export const SHOP_PER_PAGE = 4;
export const SHOP_PRODUCTS = SHOP_PAGES * SHOP_PER_PAGE;

export interface ShopProduct {
  id: number;
  name: string;
  /** In cents, so sums stay exact. */
  price: number;
  category: string;
}

export function shopProduct(id: number): ShopProduct {
  return { id, name: `Product ${id}`, price: 150 * id, category: ['tea', 'coffee', 'cocoa'][id % 3]! };
}

/**
 * `/shop/list?page=<n>` (a paginated product listing with a rel=next link) and
 * `/shop/item/<id>` (a product page: name, price, category): for crawl-definition tests and
 * examples, whose handlers follow the pagination and extract the products.
 */
export const shopPage: Handler = (_ctx, url, _req, res) => {
  if (url.pathname === '/shop/list') {
    const page = Number(url.searchParams.get('page') ?? '1');
    if (!Number.isInteger(page) || page < 1 || page > SHOP_PAGES) return sendNotFound(res);
    const items = Array.from({ length: SHOP_PER_PAGE }, (_, i) =>
      shopProduct((page - 1) * SHOP_PER_PAGE + i + 1),
    )
      .map((p) => `<li><a class="product" href="/shop/item/${p.id}">${escapeHtml(p.name)}</a></li>`)
      .join('\n');
    const next = page < SHOP_PAGES ? `<a rel="next" href="/shop/list?page=${page + 1}">next</a>` : '';
    const nav = `<nav><a href="/p/0">elsewhere</a> ${next}</nav>`;
    return sendHtml(res, 200, `<!doctype html><title>Shop, page ${page}</title><ul>${items}</ul>${nav}`);
  }
  const match = /^\/shop\/item\/(\d{1,4})$/.exec(url.pathname);
  const id = match ? Number(match[1]) : 0;
  if (id < 1 || id > SHOP_PRODUCTS) return sendNotFound(res);
  const product = shopProduct(id);
  return sendHtml(
    res,
    200,
    `<!doctype html><title>${escapeHtml(product.name)}</title><h1>${escapeHtml(product.name)}</h1>` +
      `<p class="price" data-cents="${product.price}">${(product.price / 100).toFixed(2)}</p>` +
      `<p class="category">${product.category}</p><a href="/shop/list?page=1">back</a>`,
  );
};
