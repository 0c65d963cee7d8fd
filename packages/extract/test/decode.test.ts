import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeHtml } from '../src/index.ts';

const bytes = (text: string, encoding: string): Uint8Array => new Uint8Array(iconv.encode(text, encoding));

describe('decodeHtml', () => {
  it('reads a GBK page declared only by <meta charset="gbk">', () => {
    const html =
      '<html><head><meta charset="gbk"><title>中文网页</title></head><body>你好，世界！欢迎访问。</body></html>';
    const decoded = decodeHtml(bytes(html, 'gbk'), 'text/html');
    expect(decoded).toEqual({ text: html, encoding: 'GBK' });
  });

  it('reads characters only gb18030 has on a page labelled gbk, as WHATWG decodes GBK with gb18030', () => {
    const html = '<meta charset="gbk"><p>€ and 𠀀</p>';
    expect(decodeHtml(bytes(html, 'gb18030')).text).toBe(html);
  });

  it('reads a Shift_JIS page declared only in the Content-Type header', () => {
    const html = '<html><body><h1>日本語のページ</h1><p>カタカナとひらがな</p></body></html>';
    expect(decodeHtml(bytes(html, 'shift_jis'), 'text/html; charset=Shift_JIS')).toEqual({
      text: html,
      encoding: 'Shift_JIS',
    });
    expect(decodeHtml(bytes(html, 'shift_jis'), 'text/html;charset="shift_jis"').text).toBe(html);
  });

  it('lets the header win over a <meta> that disagrees', () => {
    const html = '<meta charset="utf-8"><p>日本語</p>';
    expect(decodeHtml(bytes(html, 'shift_jis'), 'text/html; charset=sjis')).toEqual({
      text: html,
      encoding: 'Shift_JIS',
    });
  });

  it('reads a page the header names UTF-8 as UTF-8, whatever its <meta> says, malformed bytes as WHATWG replaces them', () => {
    const html = '<meta charset="gbk"><p>Grüße – 你好</p>';
    for (const header of [
      'text/html; charset=utf-8',
      'text/html;charset="UTF8"',
      'text/html; charset= Utf-8 ',
    ]) {
      expect(decodeHtml(new Uint8Array(Buffer.from(html, 'utf8')), header)).toEqual({
        text: html,
        encoding: 'UTF-8',
      });
    }
    // Truncated and invalid sequences, overlong forms and surrogates: the same text as the
    // WHATWG decoder gives, seeded so a failure replays.
    const whatwg = new TextDecoder('utf-8');
    let seed = 42;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    for (let round = 0; round < 500; round++) {
      const body = new Uint8Array(1 + (next() % 40)).map(() => {
        const roll = next() % 4;
        return roll === 0 ? 0x41 : roll === 1 ? 0x80 + (next() % 64) : 0xc0 + (next() % 64);
      });
      if (body[0] === 0xef || body[0] === 0xfe || body[0] === 0xff) body[0] = 0x41;
      expect(decodeHtml(body, 'text/html; charset=utf-8').text).toBe(whatwg.decode(body));
    }
  });

  it('lets a UTF-8 byte order mark win over the header and drops the mark', () => {
    const html = '<meta charset="iso-8859-1"><p>Grüße – 你好</p>';
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(html, 'utf8')]);
    expect(decodeHtml(body, 'text/html; charset=windows-1252')).toEqual({ text: html, encoding: 'UTF-8' });
  });

  it('reads a UTF-16LE page by its byte order mark', () => {
    const html = '<p>Ünïcödé ✓</p>';
    const body = new Uint8Array([0xff, 0xfe, ...Buffer.from(html, 'utf16le')]);
    expect(decodeHtml(body)).toEqual({ text: html, encoding: 'UTF-16LE' });
  });

  it('reads an undeclared windows-1252 page (not valid UTF-8)', () => {
    const html = '<p>café – “quoted” costs 5 € … naïve</p>';
    expect(decodeHtml(bytes(html, 'windows-1252'))).toEqual({ text: html, encoding: 'windows-1252' });
  });

  it('reads a page declared iso-8859-1 as windows-1252, as browsers do', () => {
    const body = new Uint8Array([...Buffer.from('<meta charset="ISO-8859-1"><p>', 'latin1'), 0x80, 0xe9]);
    expect(decodeHtml(body)).toEqual({ text: '<meta charset="ISO-8859-1"><p>€é', encoding: 'windows-1252' });
  });

  it('finds the charset of <meta http-equiv="Content-Type">', () => {
    const html =
      '<html><head><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=koi8-r"></head>Привет</html>';
    expect(decodeHtml(bytes(html, 'koi8-r'))).toEqual({ text: html, encoding: 'KOI8-R' });
  });

  it('reads x-mac-cyrillic, which iconv-lite knows under another name', () => {
    const html = '<meta charset="x-mac-cyrillic"><p>Добрый день</p>';
    expect(decodeHtml(bytes(html, 'maccyrillic'))).toEqual({ text: html, encoding: 'x-mac-cyrillic' });
  });

  it('ignores an unknown header label and falls back to the <meta>', () => {
    const html = '<meta charset="windows-1251"><p>Здравствуйте</p>';
    expect(decodeHtml(bytes(html, 'windows-1251'), 'text/html; charset=no-such-charset')).toEqual({
      text: html,
      encoding: 'windows-1251',
    });
  });

  it('reads an undeclared page that is valid UTF-8 as UTF-8', () => {
    const html = '<p>Grüße aus Köln, 東京</p>';
    expect(decodeHtml(new Uint8Array(Buffer.from(html, 'utf8')))).toEqual({ text: html, encoding: 'UTF-8' });
  });

  it('uses fallbackEncoding for an undeclared page that is not UTF-8', () => {
    const html = '<p>Съешь же ещё этих мягких французских булок</p>';
    expect(decodeHtml(bytes(html, 'windows-1251'), undefined, { fallbackEncoding: 'windows-1251' })).toEqual({
      text: html,
      encoding: 'windows-1251',
    });
  });

  it('decodes encodings iconv-lite lacks with the WHATWG decoders (ISO-2022-JP, x-user-defined)', () => {
    // "日本" in ISO-2022-JP: switch to JIS X 0208, two characters, switch back to ASCII.
    const body = new Uint8Array([
      ...Buffer.from('<p>'),
      0x1b,
      0x24,
      0x42,
      0x46,
      0x7c,
      0x4b,
      0x5c,
      0x1b,
      0x28,
      0x42,
      ...Buffer.from('</p>'),
    ]);
    expect(decodeHtml(body, 'text/html; charset=iso-2022-jp')).toEqual({
      text: '<p>日本</p>',
      encoding: 'ISO-2022-JP',
    });
    // x-user-defined maps 0x80-0xFF into the private use area at U+F780.
    expect(decodeHtml(new Uint8Array([0x41, 0x80, 0xff]), 'text/html; charset=x-user-defined')).toEqual({
      text: 'A\uF780\uF7FF',
      encoding: 'x-user-defined',
    });
  });

  it('decodes pages labelled with unsafe encodings as one replacement character', () => {
    // ISO-2022-KR is mapped to the replacement encoding: the whole page is one U+FFFD.
    expect(decodeHtml(new Uint8Array(Buffer.from('<p>x</p>')), 'text/html; charset=iso-2022-kr')).toEqual({
      text: '\uFFFD',
      encoding: 'replacement',
    });
  });

  it('decodes a view into a larger buffer without reading outside it', () => {
    const gbk = iconv.encode('<meta charset="gbk">中文', 'gbk');
    const combined = Buffer.concat([Buffer.from('XXXX'), gbk, Buffer.from('YYYY')]);
    const view = new Uint8Array(combined.buffer, combined.byteOffset + 4, gbk.length);
    expect(decodeHtml(view).text).toBe('<meta charset="gbk">中文');
  });

  it('only looks for <meta> in the first 1024 bytes', () => {
    const html = `<!-- ${'x'.repeat(1100)} --><meta charset="windows-1251"><p>Ё</p>`;
    const decoded = decodeHtml(bytes(html, 'windows-1251'));
    expect(decoded.encoding).toBe('windows-1252');
    expect(decoded.text.endsWith('<p>¨</p>')).toBe(true);
  });
});
