import { isUtf8 } from 'node:buffer';
import { decodeBuffer } from 'encoding-sniffer';
import { ResultType, Sniffer } from 'encoding-sniffer/sniffer';
import iconv from 'iconv-lite';

export interface DecodedHtml {
  text: string;
  /** The WHATWG name of the encoding used (`UTF-8`, `windows-1252`, `GBK`, `Shift_JIS`...). */
  encoding: string;
}

export interface DecodeOptions {
  /**
   * Encoding of a page that declares none (no BOM, no charset in the header, no `<meta>` in the
   * first 1024 bytes) and is not valid UTF-8. WHATWG leaves the default to the user agent and
   * recommends windows-1252 for most locales.
   * @default 'windows-1252'
   */
  fallbackEncoding?: string;
}

/** The WHATWG labels of UTF-8 that pages use (`utf-8`, `utf8`), any case, with surrounding spaces. */
const UTF8_LABEL = /^\s*utf-?8\s*$/i;

/** A byte order mark of UTF-8 or UTF-16 (either order): it overrides the header. */
function startsWithBom(body: Uint8Array): boolean {
  const [a, b, c] = [body[0], body[1], body[2]];
  return (a === 0xef && b === 0xbb && c === 0xbf) || (a === 0xfe && b === 0xff) || (a === 0xff && b === 0xfe);
}

const CHARSET_PARAMETER = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))/i;

/** The charset parameter of a Content-Type header value, quoted or not. */
function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = CHARSET_PARAMETER.exec(contentType);
  const label = match?.[1] ?? match?.[2];
  return label === undefined || label === '' ? undefined : label;
}

/**
 * iconv-lite names for WHATWG encodings it knows under another name. The WHATWG GBK decoder is
 * the gb18030 decoder: pages labelled gbk (or gb2312) may use its four-byte sequences.
 */
const ICONV_NAMES: Readonly<Record<string, string>> = { GBK: 'gb18030', 'x-mac-cyrillic': 'maccyrillic' };

/**
 * Decodes an HTML body the way a browser picks its encoding (WHATWG encoding sniffing, via
 * encoding-sniffer): byte order mark, then the Content-Type charset, then a `<meta charset>` or
 * `<meta http-equiv="content-type">` (or an XML declaration) in the first 1024 bytes. Labels
 * map to WHATWG encodings (`latin1` and `ascii` mean windows-1252, `gb2312` means GBK, unknown
 * labels are ignored). An undeclared page that is valid UTF-8 is read as UTF-8, the detection
 * step WHATWG allows (and browsers perform); otherwise `fallbackEncoding`. Decoding is done by
 * iconv-lite, and by encoding-sniffer's WHATWG decoders for the few encodings iconv-lite lacks
 * (ISO-2022-JP, x-user-defined). Never throws.
 */
export function decodeHtml(
  body: Uint8Array,
  contentTypeHeader?: string,
  options: DecodeOptions = {},
): DecodedHtml {
  // Most pages: UTF-8 named by the header and no byte order mark, so the header decides and
  // nothing in the page can change that. Node's decoder replaces malformed sequences with
  // U+FFFD as the WHATWG decoder does, at a fraction of a sniffer's and iconv-lite's cost.
  const label = charsetFromContentType(contentTypeHeader);
  if (label !== undefined && UTF8_LABEL.test(label) && !startsWithBom(body)) {
    return {
      text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
      encoding: 'UTF-8',
    };
  }
  const sniffer = new Sniffer({
    transportLayerEncodingLabel: label,
    defaultEncoding: options.fallbackEncoding ?? 'windows-1252',
  });
  sniffer.write(body);
  let encoding = sniffer.encoding;
  if (sniffer.resultType === ResultType.DEFAULT && encoding !== 'UTF-8' && isUtf8(body)) encoding = 'UTF-8';

  // Labels of encodings that are unsafe to decode (ISO-2022-KR, HZ-GB-2312...) resolve to
  // `replacement`, whose decoder turns any non-empty input into one U+FFFD; no decoder library
  // constructs it.
  if (encoding === 'replacement') return { text: body.byteLength === 0 ? '' : '\uFFFD', encoding };

  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const iconvName = ICONV_NAMES[encoding] ?? encoding;
  const text = iconv.encodingExists(iconvName)
    ? iconv.decode(bytes, iconvName)
    : decodeBuffer(bytes, { userEncoding: encoding });
  return { text, encoding };
}
