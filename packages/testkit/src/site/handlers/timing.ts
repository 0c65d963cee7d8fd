import type { Handler } from '../context.ts';
import { linkPage } from '../html.ts';
import { numberParam, sendHtml } from '../respond.ts';

/** `/slow?ms=<n>`: the headers come after n ms (default 1000), then a small page. */
export const slow: Handler = (ctx, url, _req, res) => {
  const ms = numberParam(url, 'ms', 1000);
  ctx.site.timers.after(res, ms, () => {
    sendHtml(res, 200, linkPage(`Slow by ${ms} ms`, [{ href: '/p/0', text: 'Home' }]));
  });
};

/** `/hang`: the connection is accepted and the request read; nothing ever comes back. */
export const hang: Handler = () => {};

/** `/trickle?ms=<n>`: headers at once, then one byte every n ms (default 1000), forever. */
export const trickle: Handler = (ctx, url, _req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.flushHeaders();
  res.write('<');
  ctx.site.timers.every(res, Math.max(1, numberParam(url, 'ms', 1000)), () => {
    if (!res.destroyed) res.write('p');
  });
};
