import { tryNormalizeUrl } from '@kraul/url';
import { SkippingTokenizer } from './skipping-tokenizer.ts';
import { TokenHandler } from './tokenizer.ts';

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

/** The element name without its namespace prefix, lower-cased: `sm:loc` → `loc`. */
function localName(xml: string, start: number, end: number): string {
  let from = start;
  for (let index = end - 1; index >= start; index--) {
    if (xml.charCodeAt(index) === 0x3a) {
      from = index + 1;
      break;
    }
  }
  // Sitemap element names are short; longer names are nothing this reader looks at.
  return end - from > 16 ? '' : xml.slice(from, end).toLowerCase();
}

/**
 * Reads `<loc>` entries with htmlparser2's tokenizer in XML mode. Like the link extractor it
 * keeps no element stack (two flags suffice), so hostile nesting stays linear.
 */
class SitemapReader extends TokenHandler {
  readonly result: SitemapEntries = { pages: [], sitemaps: [], skipped: 0 };
  readonly #maxEntries: number;
  readonly #maxUrlLength: number;
  #container: 'url' | 'sitemap' | undefined;
  #loc: string | undefined;

  constructor(xml: string, options: SitemapOptions) {
    super(xml);
    this.#maxEntries = options.maxEntries ?? 50_000;
    this.#maxUrlLength = options.maxUrlLength ?? 2_048;
  }

  read(): SitemapEntries {
    const tokenizer = new SkippingTokenizer({ xmlMode: true, decodeEntities: true }, this);
    this.tokenizer = tokenizer;
    tokenizer.write(this.html);
    tokenizer.end();
    return this.result;
  }

  override onopentagname(start: number, end: number): void {
    const name = localName(this.html, start, end);
    if (name === 'url' || name === 'sitemap') this.#container = name;
    else if (name === 'loc' && this.#container) this.#loc = '';
  }

  override onselfclosingtag(): void {}

  override ontext(start: number, end: number): void {
    this.#append(this.html.slice(start, Math.min(end, start + this.#maxUrlLength + 1)));
  }

  override ontextentity(codepoint: number): void {
    this.#append(String.fromCodePoint(codepoint));
  }

  override oncdata(start: number, endIndex: number, endOffset: number): void {
    const end = endIndex - endOffset;
    this.#append(this.html.slice(start, Math.min(end, start + this.#maxUrlLength + 1)));
  }

  override onclosetag(start: number, end: number): void {
    const name = localName(this.html, start, end);
    if (name === 'loc' && this.#loc !== undefined) {
      const { pages, sitemaps } = this.result;
      const url = tryNormalizeUrl(this.#loc.trim(), { maxLength: this.#maxUrlLength });
      if (url === undefined || pages.length + sitemaps.length >= this.#maxEntries) this.result.skipped += 1;
      else (this.#container === 'sitemap' ? sitemaps : pages).push(url);
      this.#loc = undefined;
    } else if (name === this.#container) {
      this.#container = undefined;
    }
  }

  #append(text: string): void {
    if (this.#loc !== undefined && this.#loc.length <= this.#maxUrlLength) this.#loc += text;
  }
}

/**
 * Reads the `<loc>` entries of a sitemap or sitemap index (sitemaps.org protocol), streaming:
 * no document tree, and linear time whatever the nesting.
 */
export function extractSitemap(xml: string, options: SitemapOptions = {}): SitemapEntries {
  return new SitemapReader(xml, options).read();
}
