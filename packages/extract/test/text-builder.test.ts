import { describe, expect, it } from 'vitest';
import { isCollapsibleSpace, TextBuilder } from '../src/text-builder.ts';

describe('TextBuilder', () => {
  it('collapses whitespace across pieces and trims both ends', () => {
    const builder = new TextBuilder(100);
    builder.append('  hello \n\t');
    builder.appendCodePoint(0xa0);
    builder.append('wor');
    builder.appendCodePoint(0x6c);
    builder.append('d  ');
    expect(builder.toString()).toBe('hello world');
  });

  it('appends a slice of a larger string', () => {
    const builder = new TextBuilder(100);
    builder.append('<p>  inner text </p>', 3, 16);
    expect(builder.toString()).toBe('inner text');
  });

  it('turns a pending separator into a line break when one is asked for, never at the start', () => {
    const builder = new TextBuilder(100);
    builder.lineBreak();
    builder.append('one ');
    builder.lineBreak();
    builder.space();
    builder.append(' two');
    expect(builder.toString()).toBe('one\ntwo');
  });

  it('stops at the cap, also when the separator would reach it, and starts over on reset', () => {
    const builder = new TextBuilder(4);
    builder.append('abc def');
    expect(builder.toString()).toBe('abc');
    expect(builder.full).toBe(true);
    builder.reset();
    builder.append('abcdefgh');
    expect(builder.toString()).toBe('abcd');
    expect(new TextBuilder(0).full).toBe(true);
  });

  it('knows the Unicode spaces that \\s knows', () => {
    for (let code = 0; code <= 0xffff; code++) {
      expect(isCollapsibleSpace(code), `U+${code.toString(16)}`).toBe(/\s/.test(String.fromCharCode(code)));
    }
  });
});
