import { describe, expect, it } from 'vitest';
import { extractText } from '../src/index.ts';
import { RICH_PAGE } from './fixtures/rich-page.ts';

describe('extractText', () => {
  it('keeps visible text only, one line per block, cells apart', () => {
    const html = `<html><head><title>Not shown</title><style>p { color: red }</style>
      <script>var hidden = "<p>no</p>";</script></head>
      <body><h1>Heading</h1><p>First   paragraph
      with <b>bold</b> and <a href="/x">a link</a>.</p>
      <ul><li>one</li><li>two</li></ul>
      <table><tr><td>c1</td><td>c2</td></tr><tr><th>c3</th></tr></table>
      <noscript>Please enable JavaScript</noscript><template><p>inert</p></template>
      line<br>break &amp; entities&nbsp;here</body></html>`;
    expect(extractText(html)).toBe(
      'Heading\nFirst paragraph with bold and a link.\none\ntwo\nc1 c2\nc3\nline\nbreak & entities here',
    );
  });

  it('keeps inline elements glued as a browser renders them', () => {
    expect(extractText('<p>Kaf<b>ka</b> is <i>fast</i>.</p>')).toBe('Kafka is fast.');
  });

  it('caps the text at maxChars', () => {
    const text = extractText(`<p>${'lorem ipsum '.repeat(10_000)}</p><p>end</p>`, { maxChars: 20 });
    expect(text).toBe('lorem ipsum lorem ip');
  });

  it('never splits a surrogate pair at the cap', () => {
    expect(extractText('<p>ab😀</p>', { maxChars: 3 })).toBe('ab');
  });

  it('reads the rich fixture without its head, scripts, template and noscript', () => {
    const text = extractText(RICH_PAGE);
    expect(text.split('\n')[0]).toBe(
      'Novels Magazines About us and them Guide Spaced Multi line Search Deal Thread Other',
    );
    for (const hidden of [
      'Rich fixture',
      'fake',
      'color: red',
      'Template',
      'Without scripts',
      'document.write',
    ]) {
      expect(text).not.toContain(hidden);
    }
    expect(text).toContain('Read chapter two or back to top.');
  });

  it('returns an empty string for a page without text', () => {
    expect(extractText('<html><head><script>x()</script></head><body> <br> </body></html>')).toBe('');
  });
});
