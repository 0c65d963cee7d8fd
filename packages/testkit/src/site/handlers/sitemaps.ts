import { gzipSync } from 'node:zlib';
import type { Handler, HostContext } from '../context.ts';
import { pagePath } from '../graph.ts';
import { escapeHtml } from '../html.ts';
import { sendBody } from '../respond.ts';

const XML = 'application/xml; charset=utf-8';

function sitemapXml(ctx: HostContext): string {
  const origin = ctx.site.linkOrigin(ctx.host);
  const urls: string[] = [];
  for (let n = 0; n < ctx.site.shape.pagesPerHost; n++) {
    urls.push(`  <url><loc>${escapeHtml(origin + pagePath(n))}</loc><lastmod>2025-01-01</lastmod></url>`);
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
    urls.join('\n') +
    '\n</urlset>\n'
  );
}

/** `/sitemap.xml`: every `/p/<n>` page of the host. */
export const sitemap: Handler = (ctx, _url, _req, res) => {
  sendBody(res, 200, XML, sitemapXml(ctx));
};

/** `/sitemap.xml.gz`: the same sitemap as a gzip file (not a Content-Encoding). */
export const gzippedSitemap: Handler = (ctx, _url, _req, res) => {
  sendBody(res, 200, 'application/gzip', gzipSync(sitemapXml(ctx)));
};

/** `/sitemap-index.xml`: points at both sitemap files. */
export const sitemapIndex: Handler = (ctx, _url, _req, res) => {
  const origin = ctx.site.linkOrigin(ctx.host);
  const entries = ['/sitemap.xml', '/sitemap.xml.gz']
    .map((path) => `  <sitemap><loc>${escapeHtml(origin + path)}</loc></sitemap>`)
    .join('\n');
  sendBody(
    res,
    200,
    XML,
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
      entries +
      '\n</sitemapindex>\n',
  );
};
