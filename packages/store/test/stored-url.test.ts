import { describe, expect, it } from 'vitest';
import { compactUrl, expandUrl } from '../src/stored-url.ts';

describe('stored URLs', () => {
  it('keep only what follows the scheme and host key, behind a mark for the scheme', () => {
    expect(compactUrl('https://a.example/x?y#z', 'a.example')).toBe('^/x?y#z');
    expect(compactUrl('http://a.example:8080/', 'a.example')).toBe('~:8080/');
    expect(compactUrl('https://www.a.example/', 'a.example')).toBe('https://www.a.example/');
    expect(compactUrl('ftp://a.example/', 'a.example')).toBe('ftp://a.example/');
  });

  it('give back every string they were given, whatever it starts with', () => {
    const pieces = ['', 'https://', 'http://', 'h.test', ':81', '/p', '?q', '^', '~', '=', 'x', 'HTTP://'];
    const keys = ['h.test', '', 'h', 'test', '^', '=~'];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 5_000; round++) {
      let url = '';
      for (let i = next(5); i >= 0; i--) url += pieces[next(pieces.length)];
      const key = keys[next(keys.length)]!;
      expect(expandUrl(compactUrl(url, key), key)).toBe(url);
    }
  });
});
