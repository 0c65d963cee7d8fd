import type { Handler } from '../context.ts';
import { linkPage } from '../html.ts';
import { numberParam, sendHtml, sendNotFound, sendStatus } from '../respond.ts';

/** `/status/<code>`: any status from 200 to 599, with a small HTML body where one is allowed. */
export const anyStatus: Handler = (_ctx, url, _req, res) => {
  const match = /^\/status\/(\d{3})$/.exec(url.pathname);
  const code = match ? Number(match[1]) : 0;
  if (code < 200 || code > 599) sendNotFound(res);
  else sendStatus(res, code);
};

/** `/retry-after/<seconds>`: 429 (or `?status=503`) with a Retry-After header in seconds. */
export const retryAfter: Handler = (_ctx, url, _req, res) => {
  const match = /^\/retry-after\/(\d+)$/.exec(url.pathname);
  if (!match) {
    sendNotFound(res);
    return;
  }
  const status = numberParam(url, 'status', 429) === 503 ? 503 : 429;
  sendStatus(res, status, { 'Retry-After': match[1] });
};

/** `/flaky/<id>?fail=<k>`: 503 for the first k requests of that id on this host (default 1), then 200. */
export const flaky: Handler = (ctx, url, _req, res) => {
  const match = /^\/flaky\/([^/]+)$/.exec(url.pathname);
  if (!match) {
    sendNotFound(res);
    return;
  }
  const key = `${ctx.host}:${match[1]}`;
  const seen = (ctx.site.flakyCounts.get(key) ?? 0) + 1;
  ctx.site.flakyCounts.set(key, seen);
  if (seen <= numberParam(url, 'fail', 1)) sendStatus(res, 503);
  else sendHtml(res, 200, linkPage(`Flaky ${match[1]} recovered`, [{ href: '/p/0', text: 'Home' }]));
};
