import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, normalizeUrl } from '../src/index.ts';

describe('fingerprint', () => {
  // Pinned once: fingerprints are stored, so these values must never change.
  it.each([
    ['http://example.com/', '2a1b402420ef4657'],
    ['https://www.example.com/articles/2024/05/some-slug?page=2', '9fdea32c6f546606'],
    ['http://xn--mnchen-3ya.de/%C3%BC', 'dd2368fdb10db98e'],
    ['', 'e3b0c44298fc1c14'],
  ])('%s → %s', (url, expected) => {
    expect(fingerprint(url)).toBe(expected);
  });

  it('is the first 8 bytes of SHA-256 over UTF-8, in lower-case hex', () => {
    for (const url of ['http://example.com/ü', 'https://例え.jp/', 'http://a/'.padEnd(3000, 'z')]) {
      const expected = createHash('sha256')
        .update(Buffer.from(url, 'utf8'))
        .digest()
        .subarray(0, 8)
        .toString('hex');
      expect(fingerprint(url)).toBe(expected);
      expect(fingerprint(url)).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('gives spellings of one URL one fingerprint once normalised', () => {
    const spellings = [
      'HTTP://Example.COM:80/a/./b/../c?#frag',
      'http://example.com/a/c',
      'http://u:p@example.com./a/%63',
    ];
    const fingerprints = new Set(spellings.map((url) => fingerprint(normalizeUrl(url))));
    expect(fingerprints.size).toBe(1);
  });

  it('has no collisions over many distinct URLs', () => {
    const fingerprints = new Set<string>();
    for (let i = 0; i < 50_000; i++) fingerprints.add(fingerprint(`https://host${i % 100}.example/${i}`));
    expect(fingerprints.size).toBe(50_000);
  });
});
