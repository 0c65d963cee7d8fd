import type { Handler, HostContext } from '../context.ts';
import { crawlDelayOf } from '../options.ts';
import { sendBody, sendRedirect, sendStatus } from '../respond.ts';
import { defaultRobotsBody, MOVED_ROBOTS_PATH } from '../robots-rules.ts';

function defaultBody(ctx: HostContext): string {
  return defaultRobotsBody(ctx.site.linkOrigin(ctx.host), crawlDelayOf(ctx.site.options, ctx.host));
}

/** `/robots.txt`, as the host's robots mode says. */
export const robotsTxt: Handler = (ctx, _url, _req, res) => {
  const mode = ctx.site.options.robots[ctx.host];
  if (mode === 'missing') sendStatus(res, 404);
  else if (mode === 'error') sendStatus(res, 500);
  else if (mode === 'redirect') sendRedirect(res, 301, MOVED_ROBOTS_PATH);
  else if (mode === 'hang') return;
  else sendBody(res, 200, 'text/plain; charset=utf-8', mode ?? defaultBody(ctx));
};

/** Where `'redirect'` mode points: the default rules. */
export const movedRobotsTxt: Handler = (ctx, _url, _req, res) => {
  sendBody(res, 200, 'text/plain; charset=utf-8', defaultBody(ctx));
};
