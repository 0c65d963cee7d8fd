import { describe, expect, it } from 'vitest';
import { normalizePercentEncoding } from '../src/percent-encoding.ts';

describe('normalizePercentEncoding', () => {
  it('decodes every unreserved character and nothing else', () => {
    for (let byte = 0; byte < 256; byte++) {
      const hex = byte.toString(16).padStart(2, '0');
      const char = String.fromCharCode(byte);
      const expected = /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
      expect(normalizePercentEncoding(`%${hex}`)).toBe(expected);
      expect(normalizePercentEncoding(`%${hex.toUpperCase()}`)).toBe(expected);
    }
  });

  it('returns the very same string when nothing changes', () => {
    const text = '/a%2Fb/%C3%BC?x=%20';
    expect(normalizePercentEncoding(text)).toBe(text);
  });

  it('leaves malformed escapes alone and keeps going past them', () => {
    expect(normalizePercentEncoding('%%41%g1%4%')).toBe('%A%g1%4%');
    expect(normalizePercentEncoding('a%2fb%7ec%')).toBe('a%2Fb~c%');
    expect(normalizePercentEncoding('%7E')).toBe('~');
    expect(normalizePercentEncoding('%7')).toBe('%7');
  });
});
