import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_URL_LENGTH,
  InvalidUrlError,
  type NormalizeOptions,
  normalizeUrl,
  TRACKING_PARAMS,
  tryNormalizeUrl,
  UnsupportedSchemeError,
  UrlTooLongError,
} from '../src/index.ts';

const normalized: [input: string, expected: string, options?: NormalizeOptions][] = [
  // Scheme, host, port, dot segments, fragment, empty query
  ['HTTP://Example.COM:80/a/./b/../c?#frag', 'http://example.com/a/c'],
  ['https://example.com:443/', 'https://example.com/'],
  ['https://example.com:80/', 'https://example.com:80/'],
  ['http://example.com:8080', 'http://example.com:8080/'],
  ['http://example.com', 'http://example.com/'],
  ['HTTPS://EXAMPLE.COM/PATH?QUERY=VALUE', 'https://example.com/PATH?QUERY=VALUE'],
  ['http://example.com/a/b/../../../../c', 'http://example.com/c'],
  ['http://example.com/a/%2e%2E/b', 'http://example.com/b'],
  ['http://example.com/a/.%2e/b/./', 'http://example.com/b/'],
  ['http://example.com//double//slash', 'http://example.com//double//slash'],
  ['http://example.com/?', 'http://example.com/'],
  ['http://example.com/#', 'http://example.com/'],
  ['http://example.com/?#x', 'http://example.com/'],
  ['http://example.com/p?a=1#x', 'http://example.com/p?a=1'],
  ['http:\\\\example.com\\a\\b', 'http://example.com/a/b'],
  ['  http://example.com/\tpa\nth  ', 'http://example.com/path'],
  // Percent-encoding
  ['http://example.com/%7e', 'http://example.com/~'],
  ['http://example.com/%7Euser/', 'http://example.com/~user/'],
  ['http://example.com/%41%42%63%2D%2E%5F%30', 'http://example.com/ABc-._0'],
  ['http://example.com/a%2Fb', 'http://example.com/a%2Fb'],
  ['http://example.com/a%2fb', 'http://example.com/a%2Fb'],
  ['http://example.com/%e2%82%ac', 'http://example.com/%E2%82%AC'],
  ['http://example.com/€', 'http://example.com/%E2%82%AC'],
  ['http://example.com/a b', 'http://example.com/a%20b'],
  ['http://example.com/100%', 'http://example.com/100%'],
  ['http://example.com/%zz%4', 'http://example.com/%zz%4'],
  ['http://example.com/%7', 'http://example.com/%7'],
  ['http://example.com/?q=%7e%2f%20', 'http://example.com/?q=~%2F%20'],
  ['http://example.com/?%3d=%26&x=%3f', 'http://example.com/?%3D=%26&x=%3F'],
  ['http://example.com/?q=a+b', 'http://example.com/?q=a+b'],
  ['http://example.com/?q=ü', 'http://example.com/?q=%C3%BC'],
  ['HTTP://www.Example.com/%7Efoo/./bar/../baz?%41=1', 'http://www.example.com/~foo/baz?A=1'],
  ['http://ex%41mple.com/', 'http://example.com/'],
  // IDN, IP literals, trailing dots
  ['http://münchen.de/', 'http://xn--mnchen-3ya.de/'],
  ['http://MÜNCHEN.de/straße', 'http://xn--mnchen-3ya.de/stra%C3%9Fe'],
  ['http://例え.jp/', 'http://xn--r8jz45g.jp/'],
  ['http://xn--mnchen-3ya.de/', 'http://xn--mnchen-3ya.de/'],
  ['http://[2001:DB8:0:0:0:0:0:1]:80/', 'http://[2001:db8::1]/'],
  ['https://[::1]:8443/x', 'https://[::1]:8443/x'],
  ['http://[::FFFF:1.2.3.4]/', 'http://[::ffff:102:304]/'],
  ['http://0x7f.1/', 'http://127.0.0.1/'],
  ['http://192.168.000.001:8080/', 'http://192.168.0.1:8080/'],
  ['http://example.com./', 'http://example.com/'],
  ['http://example.com..:8080/x', 'http://example.com:8080/x'],
  ['http://1.2.3.4./', 'http://1.2.3.4/'],
  // Credentials are dropped
  ['http://user:pass@example.com/', 'http://example.com/'],
  ['https://user@Example.com:443/x', 'https://example.com/x'],
  ['http://:@example.com/', 'http://example.com/'],
  // Relative links
  ['../x?y#z', 'http://example.com/a/x?y', { base: 'http://example.com/a/b/c' }],
  ['/root', 'https://example.com/root', { base: 'https://Example.com:443/a' }],
  ['//cdn.example.net/lib.js', 'https://cdn.example.net/lib.js', { base: 'https://example.com/' }],
  ['?page=2', 'http://example.com/list?page=2', { base: 'http://example.com/list?page=1#top' }],
  ['#section', 'http://example.com/doc', { base: 'http://example.com/doc#intro' }],
  ['', 'http://example.com/doc?x=1', { base: 'http://example.com/doc?x=1#intro' }],
  ['page.html', 'http://example.com/dir/page.html', { base: new URL('http://user:pw@example.com/dir/') }],
  ['https://other.example/', 'https://other.example/', { base: 'http://example.com/' }],
  // Query rewriting
  ['http://example.com/?a=1&&b=2', 'http://example.com/?a=1&&b=2'],
  ['http://example.com/?b=2&a=1&a=0&&c', 'http://example.com/?a=1&a=0&b=2&c', { sortQuery: true }],
  ['http://example.com/?B=1&a=2&_=3', 'http://example.com/?B=1&_=3&a=2', { sortQuery: true }],
  [
    'http://example.com/?utm_source=x&id=3&fbclid=y',
    'http://example.com/?id=3',
    { stripParams: TRACKING_PARAMS },
  ],
  ['http://example.com/p?utm_medium=x&gclid=1#f', 'http://example.com/p', { stripParams: TRACKING_PARAMS }],
  ['http://example.com/?utm%5Fsource=x&k=v', 'http://example.com/?k=v', { stripParams: TRACKING_PARAMS }],
  [
    'http://example.com/?my+param=1&my%20param=2&keep=3',
    'http://example.com/?keep=3',
    { stripParams: ['my param'] },
  ],
  ['http://example.com/?bad%zz=1&keep=3', 'http://example.com/?keep=3', { stripParams: ['bad%zz'] }],
  [
    'http://example.com/?z=1&utm_campaign=c&sid=9&a=2',
    'http://example.com/?a=2&z=1',
    { sortQuery: true, stripParams: [/^utm_/, 'sid'] },
  ],
];

describe('normalizeUrl', () => {
  it.each(normalized)('%s → %s', (input, expected, options) => {
    expect(normalizeUrl(input, options)).toBe(expected);
    expect(tryNormalizeUrl(input, options)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const [input, , options] of normalized) {
      const once = normalizeUrl(input, options);
      expect(normalizeUrl(once, options)).toBe(once);
      expect(normalizeUrl(once)).toBe(normalizeUrl(once, { sortQuery: false }));
    }
  });

  it('applies a global RegExp the same way on every URL', () => {
    const options = { stripParams: [/^utm_/g] };
    expect(normalizeUrl('http://example.com/?utm_a=1&b=1', options)).toBe('http://example.com/?b=1');
    expect(normalizeUrl('http://example.com/?utm_b=1&c=1', options)).toBe('http://example.com/?c=1');
    expect(normalizeUrl('http://example.com/?utm_c=1', options)).toBe('http://example.com/');
  });
});

const unsupported: [input: string, scheme: string][] = [
  ['javascript:alert(1)', 'javascript'],
  ['JavaScript:void(0)', 'javascript'],
  ['mailto:someone@example.com', 'mailto'],
  ['data:text/html,<b>hi</b>', 'data'],
  ['ftp://example.com/file', 'ftp'],
  ['file:///etc/passwd', 'file'],
  ['tel:+123456', 'tel'],
  ['ws://example.com/socket', 'ws'],
];

const invalid: [input: string, base?: string][] = [
  ['http://'],
  ['http://exa mple.com/'],
  ['http://[::1/'],
  ['http://example.com:99999/'],
  ['http://./'],
  ['http://../'],
  ['not a url'],
  [''],
  ['/relative/without/base'],
  ['x', 'not a base either'],
];

describe('rejected input', () => {
  it.each(unsupported)('%s has unsupported scheme %s', (input, scheme) => {
    expect(tryNormalizeUrl(input)).toBeUndefined();
    const error = catchError(() => normalizeUrl(input, { base: 'https://example.com/' }));
    expect(error).toBeInstanceOf(UnsupportedSchemeError);
    expect(error).toBeInstanceOf(KraulError);
    expect(error.code).toBe('url.unsupported_scheme');
    expect(error.context).toMatchObject({ scheme, input });
  });

  it.each(invalid)('%j is invalid', (input, base) => {
    expect(tryNormalizeUrl(input, { base })).toBeUndefined();
    const error = catchError(() => normalizeUrl(input, { base }));
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect(error.code).toBe('url.invalid');
    expect(error.context).toEqual({ input, base });
  });

  it('truncates the input echoed in error context to 200 characters', () => {
    const input = 'http://exa mple.com/' + 'x'.repeat(5000);
    const error = catchError(() => normalizeUrl(input, { base: 'https://example.com/' + 'b'.repeat(300) }));
    expect(error.context['input']).toBe(input.slice(0, 200));
    expect(error.context['base']).toHaveLength(200);
  });
});

describe('maxLength', () => {
  const prefix = 'http://example.com/';

  it('accepts URLs of exactly the default 2048 characters and rejects longer ones', () => {
    expect(DEFAULT_MAX_URL_LENGTH).toBe(2048);
    const atLimit = prefix + 'a'.repeat(2048 - prefix.length);
    expect(normalizeUrl(atLimit)).toBe(atLimit);
    const error = catchError(() => normalizeUrl(atLimit + 'b'));
    expect(error).toBeInstanceOf(UrlTooLongError);
    expect(error.code).toBe('url.too_long');
    expect(error.context).toMatchObject({ length: 2049, maxLength: 2048 });
    expect(tryNormalizeUrl(atLimit + 'b')).toBeUndefined();
  });

  it('measures the normalised URL, not the input', () => {
    const input = 'HTTP://user:password@EXAMPLE.com:80/' + 'a'.repeat(2000) + '#' + 'f'.repeat(5000);
    expect(normalizeUrl(input)).toBe(prefix + 'a'.repeat(2000));
    // Percent-encoding grows the URL: 700 'ü' become 4,200 characters.
    expect(tryNormalizeUrl(prefix + 'ü'.repeat(700))).toBeUndefined();
  });

  it('honours a custom maximum', () => {
    expect(normalizeUrl('http://example.com/abcdefghijk', { maxLength: 30 })).toBe(
      'http://example.com/abcdefghijk',
    );
    expect(() => normalizeUrl('http://example.com/abcdefghijkl', { maxLength: 30 })).toThrow(UrlTooLongError);
  });

  it('handles megabyte-long hrefs', () => {
    const huge = 'x'.repeat(1_000_000);
    expect(tryNormalizeUrl('data:text/plain,' + huge)).toBeUndefined();
    expect(tryNormalizeUrl(prefix + huge)).toBeUndefined();
    expect(tryNormalizeUrl(prefix + huge, { maxLength: 2_000_000 })).toBe(prefix + huge);
  });
});

function catchError(fn: () => unknown): KraulError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KraulError) return error;
    throw error;
  }
  throw new Error('expected an error');
}
