import type { Handler } from '../context.ts';
import { graphDocument } from '../graph.ts';
import { linkPage } from '../html.ts';
import { renderGraphDocument } from '../render-page.ts';
import { sendHtml, sendNotFound } from '../respond.ts';

/** `/p/<n>`, `/nofollow/<n>`, `/private/<n>`: the documents of the page graph. */
export const graphPage: Handler = (ctx, url, _req, res) => {
  const doc = graphDocument(ctx.site.shape, ctx.host, url.pathname);
  if (!doc) {
    sendNotFound(res);
    return;
  }
  const answer = () =>
    sendHtml(
      res,
      200,
      renderGraphDocument((h) => ctx.site.linkOrigin(h), doc, ctx.site.options.paragraphsPerPage),
    );
  const delay = ctx.site.options.pageDelayMs;
  if (delay > 0) ctx.site.timers.after(res, delay, answer);
  else answer();
};

/** `/noindex`: a page that asks robots neither to index it nor to follow its links. */
export const noindexPage: Handler = (_ctx, _url, _req, res) => {
  sendHtml(
    res,
    200,
    linkPage(
      'Not for indexes',
      [
        { href: '/p/1', text: 'A page' },
        { href: '/nofollow/0', text: 'Another page' },
      ],
      '<meta name="robots" content="noindex,nofollow">\n',
    ),
  );
};

/**
 * `/x-robots-tag`: a page whose headers, not its markup, ask kraul (by its product token) not to
 * index it nor follow its links, and ask another robot for something else. Its second link leads
 * where no graph link does, so a crawl that follows it shows.
 */
export const xRobotsTagPage: Handler = (_ctx, _url, _req, res) => {
  sendHtml(
    res,
    200,
    linkPage('Headers say noindex', [
      { href: '/p/2', text: 'A page' },
      { href: '/nofollow/1', text: 'Only linked from here' },
    ]),
    { 'X-Robots-Tag': ['otherbot: noarchive', 'kraul: noindex, nofollow'] },
  );
};
