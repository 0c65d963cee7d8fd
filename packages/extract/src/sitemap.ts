import { tryNormalizeUrl } from '@kraul/url';
import { Parser } from 'htmlparser2';

export interface SitemapEntries {
  /** Page URLs of a `<urlset>`. */
  pages: string[];
  /** Child sitemaps of a `<sitemapindex>`. */
  sitemaps: string[];
  /** Entries over the cap or not valid http(s) URLs. */
  skipped: number;
}

export interface SitemapOptions {
  /** Most entries read (the sitemaps protocol allows 50,000 per file). Default: 50,000. */
  maxEntries?: number;
  maxUrlLength?: number;
}

/**
 * Reads the `<loc>` entries of a sitemap or sitemap index (sitemaps.org protocol) with a
 * streaming XML parser: no document tree, whatever the file's size.
 */
export function extractSitemap(xml: string, options: SitemapOptions = {}): SitemapEntries {
  const maxEntries = options.maxEntries ?? 50_000;
  const normalize = { maxLength: options.maxUrlLength ?? 2_048 };
  const result: SitemapEntries = { pages: [], sitemaps: [], skipped: 0 };
  let container: 'url' | 'sitemap' | undefined;
  let inLoc = false;
  let loc = '';
  const parser = new Parser(
    {
      onopentag(name) {
        const local = name.slice(name.indexOf(':') + 1).toLowerCase();
        if (local === 'url' || local === 'sitemap') container = local;
        else if (local === 'loc' && container) {
          inLoc = true;
          loc = '';
        }
      },
      ontext(text) {
        if (inLoc && loc.length <= normalize.maxLength) loc += text;
      },
      onclosetag(name) {
        const local = name.slice(name.indexOf(':') + 1).toLowerCase();
        if (local === 'loc' && inLoc) {
          inLoc = false;
          const target = container === 'sitemap' ? result.sitemaps : result.pages;
          const url = tryNormalizeUrl(loc.trim(), normalize);
          if (url === undefined || result.pages.length + result.sitemaps.length >= maxEntries)
            result.skipped += 1;
          else target.push(url);
        } else if (local === container) {
          container = undefined;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(xml);
  return result;
}
