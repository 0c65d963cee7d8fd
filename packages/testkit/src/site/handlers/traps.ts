import type { Handler } from '../context.ts';
import { linkPage } from '../html.ts';
import { numberParam, sendHtml, sendNotFound } from '../respond.ts';

/** `/calendar/<y>/<m>`: links to the previous and next month, without end. */
export const calendar: Handler = (_ctx, url, _req, res) => {
  const match = /^\/calendar\/(-?\d+)\/(\d{1,2})$/.exec(url.pathname);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12) {
    sendNotFound(res);
    return;
  }
  const shift = (delta: number) => {
    const index = year * 12 + (month - 1) + delta;
    return `/calendar/${Math.floor(index / 12)}/${(((index % 12) + 12) % 12) + 1}`;
  };
  sendHtml(
    res,
    200,
    linkPage(`Calendar ${year}-${month}`, [
      { href: shift(-1), text: 'Previous month' },
      { href: shift(1), text: 'Next month' },
    ]),
  );
};

/** `/session/<n>?sid=<id>`: every link carries a fresh session id, so no URL repeats. */
export const session: Handler = (ctx, url, _req, res) => {
  const match = /^\/session\/(\d+)$/.exec(url.pathname);
  if (!match) {
    sendNotFound(res);
    return;
  }
  const n = Number(match[1]);
  const ids = ctx.site.sessionIds;
  sendHtml(
    res,
    200,
    linkPage(`Session page ${n}`, [
      { href: `/session/${n}?sid=${ids.next()}`, text: 'This page' },
      { href: `/session/${n + 1}?sid=${ids.next()}`, text: 'Next page' },
    ]),
  );
};

/**
 * `/deep/a/a/...`: every page links one level deeper, and relatively to `loop/`, which
 * from `/deep/a/loop/` resolves to `/deep/a/loop/loop/`, and so on.
 */
export const deep: Handler = (_ctx, url, _req, res) => {
  const trimmed = url.pathname.replace(/\/+$/, '');
  const depth = trimmed.split('/').length - 2;
  sendHtml(
    res,
    200,
    linkPage(`Depth ${depth}`, [
      { href: `${trimmed}/a`, text: 'Deeper' },
      { href: 'loop/', text: 'Around again' },
    ]),
  );
};

/** `/counter?page=<n>`: links to page n+1, without end. */
export const counter: Handler = (_ctx, url, _req, res) => {
  const page = Math.floor(numberParam(url, 'page', 0));
  sendHtml(res, 200, linkPage(`Counter ${page}`, [{ href: `/counter?page=${page + 1}`, text: 'Next' }]));
};

/** Pages of the finite listing `/list?page=1..LISTING_PAGES`, each with `LISTING_ITEMS_PER_PAGE` items. */
export const LISTING_PAGES = 30;
export const LISTING_ITEMS_PER_PAGE = 2;

/**
 * `/list?page=<n>`: legitimate pagination, the counterpart of the counter trap. Each page
 * links its own items (`/list/item/<k>`) and its neighbours, and the listing ends.
 */
export const listing: Handler = (_ctx, url, _req, res) => {
  const page = Math.floor(numberParam(url, 'page', 1));
  if (page < 1 || page > LISTING_PAGES) {
    sendNotFound(res);
    return;
  }
  const links: { href: string; text: string }[] = [];
  for (let i = 0; i < LISTING_ITEMS_PER_PAGE; i++) {
    const item = (page - 1) * LISTING_ITEMS_PER_PAGE + i + 1;
    links.push({ href: `/list/item/${item}`, text: `Item ${item}` });
  }
  if (page > 1) links.push({ href: `/list?page=${page - 1}`, text: 'Previous page' });
  if (page < LISTING_PAGES) links.push({ href: `/list?page=${page + 1}`, text: 'Next page' });
  sendHtml(res, 200, linkPage(`Listing page ${page}`, links));
};

/** `/list/item/<k>`: an item of the listing, linking back to the listing's first page. */
export const listingItem: Handler = (_ctx, url, _req, res) => {
  const match = /^\/list\/item\/(\d+)$/.exec(url.pathname);
  const item = Number(match?.[1]);
  if (!match || item < 1 || item > LISTING_PAGES * LISTING_ITEMS_PER_PAGE) {
    sendNotFound(res);
    return;
  }
  sendHtml(res, 200, linkPage(`Item ${item}`, [{ href: '/list?page=1', text: 'Back to the listing' }]));
};
