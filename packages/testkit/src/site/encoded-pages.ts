import iconv from 'iconv-lite';
import { htmlDocument } from './html.ts';

/** A page in a legacy or unusual encoding, with the text a correct decoder must recover. */
export interface EncodedPage {
  path: string;
  /** Text that appears in the page's title and body. */
  text: string;
  /** The encoding of the bytes (iconv-lite name). */
  encoding: string;
  /** The Content-Type header sent: only `/sjis` names its charset there. */
  contentType: string;
  /** Path of the one link in the page's body. */
  link: string;
}

export const ENCODED_PAGES = {
  /** Declared only by `<meta charset="gbk">`. */
  gbk: {
    path: '/gbk',
    text: '中文网页',
    encoding: 'gbk',
    contentType: 'text/html',
    link: '/p/1',
  },
  /** Declared only by the Content-Type header. */
  sjis: {
    path: '/sjis',
    text: '日本語のページ',
    encoding: 'shift_jis',
    contentType: 'text/html; charset=Shift_JIS',
    link: '/p/2',
  },
  /** UTF-8 with a byte order mark and no declaration anywhere. */
  utf8Bom: {
    path: '/utf8-bom',
    text: 'Grüße aus Köln ✓',
    encoding: 'utf-8',
    contentType: 'text/html',
    link: '/p/3',
  },
  /** windows-1252, declared by `<meta http-equiv="Content-Type">`; € and curly quotes differ from ISO-8859-1. */
  latin1: {
    path: '/latin1',
    text: 'Café – “naïve” costs 5 €',
    encoding: 'windows-1252',
    contentType: 'text/html',
    link: '/p/4',
  },
} as const satisfies Record<string, EncodedPage>;

function markup(page: EncodedPage): string {
  const body = `<h1>${page.text}</h1>\n<p>${page.text}: <a href="${page.link}">${page.text}</a></p>`;
  if (page === ENCODED_PAGES.gbk) return htmlDocument({ title: page.text, body, charset: 'gbk' });
  if (page === ENCODED_PAGES.latin1) {
    const head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">\n';
    return htmlDocument({ title: page.text, head, body });
  }
  return htmlDocument({ title: page.text, body });
}

const cache = new Map<EncodedPage, Buffer>();

/** The bytes served for an encoded page. */
export function encodedPageBytes(page: EncodedPage): Buffer {
  let bytes = cache.get(page);
  if (!bytes) {
    bytes = iconv.encode(markup(page), page.encoding, { addBOM: page.encoding === 'utf-8' });
    cache.set(page, bytes);
  }
  return bytes;
}
