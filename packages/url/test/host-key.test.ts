import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import {
  type HostKeyMode,
  hostKey,
  InvalidAddressError,
  InvalidUrlError,
  normalizedOrigin,
  normalizeUrl,
  UnresolvedHostError,
  UnsupportedSchemeError,
} from '../src/index.ts';

describe("hostKey 'hostname'", () => {
  it.each([
    ['http://example.com/', 'example.com'],
    ['http://Example.COM:8080/x?y#z', 'example.com'],
    ['http://user:pw@host.example/', 'host.example'],
    ['http://example.com./', 'example.com'],
    ['http://münchen.de/', 'xn--mnchen-3ya.de'],
    ['http://xn--mnchen-3ya.de/', 'xn--mnchen-3ya.de'],
    ['https://[2001:DB8::1]:443/', '2001:db8::1'],
    ['http://[::1]/', '::1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://10.0.0.1:8080/', '10.0.0.1'],
    // IPv4 in notations other than strict dotted decimal: the parser's canonical form.
    ['http://127.1/', '127.0.0.1'],
    ['http://010.0.0.1/', '8.0.0.1'],
    ['http://192.168.000.1/', '192.168.0.1'],
    ['http://4294967295/', '255.255.255.255'],
    ['http://1.2.3.4./', '1.2.3.4'],
  ])('%s → %s', (url, expected) => {
    expect(hostKey(url)).toBe(expected);
    expect(hostKey(url, 'hostname')).toBe(expected);
    expect(hostKey(new URL(url))).toBe(expected);
    expect(hostKey(normalizeUrl(url))).toBe(expected);
  });
});

describe("hostKey 'domain'", () => {
  it.each([
    ['http://a.b.example.co.uk/', 'example.co.uk'],
    ['http://example.co.uk/', 'example.co.uk'],
    ['https://user.github.io/repo', 'github.io'],
    ['http://foo.blogspot.com/', 'blogspot.com'],
    ['https://en.wikipedia.org/wiki/Kafka', 'wikipedia.org'],
    ['http://www.例え.jp/', 'xn--r8jz45g.jp'],
    ['http://a.b.münchen.de/', 'xn--mnchen-3ya.de'],
    ['http://www.city.kawasaki.jp/', 'city.kawasaki.jp'],
    ['http://WWW.Example.COM./', 'example.com'],
    ['http://localhost:3000/', 'localhost'],
    ['http://intranet/', 'intranet'],
    ['http://co.uk/', 'co.uk'],
    ['http://xn--55qx5d.cn/', 'xn--55qx5d.cn'],
    ['http://192.168.1.1/', '192.168.1.1'],
    ['http://[2001:db8::1]/', '2001:db8::1'],
  ])('%s → %s', (url, expected) => {
    expect(hostKey(url, 'domain')).toBe(expected);
    expect(hostKey(new URL(url), 'domain')).toBe(expected);
  });
});

describe("hostKey 'ip'", () => {
  it('uses the resolved address of a named host', () => {
    expect(hostKey('http://example.com/', 'ip', '93.184.215.14')).toBe('93.184.215.14');
    expect(hostKey('http://example.com/', 'ip', '2001:DB8:0::1')).toBe('2001:db8::1');
    expect(hostKey('http://example.com/', 'ip', '[2001:db8::1]')).toBe('2001:db8::1');
    expect(hostKey('http://example.com/', 'ip', '::ffff:1.2.3.4')).toBe('::ffff:102:304');
  });

  it('uses an IP-literal host as is, in the same form as hostname mode', () => {
    expect(hostKey('http://127.0.0.1:8080/', 'ip')).toBe('127.0.0.1');
    expect(hostKey('http://[::FFFF:1.2.3.4]/', 'ip')).toBe(
      hostKey('http://x.example/', 'ip', '::ffff:1.2.3.4'),
    );
    expect(hostKey('http://[2001:db8::1]/', 'ip')).toBe(hostKey('http://[2001:db8::1]/', 'hostname'));
  });

  it('needs the resolved address of a named host', () => {
    const error = catchError(() => hostKey('http://example.com/', 'ip'));
    expect(error).toBeInstanceOf(UnresolvedHostError);
    expect(error.code).toBe('url.host_unresolved');
    expect(error.context).toEqual({ hostname: 'example.com' });
  });

  it.each(['not-an-ip', '1.2.3', '256.1.1.1', '01.2.3.4', '', 'fe80::1%eth0'])(
    'rejects address %j',
    (address) => {
      const error = catchError(() => hostKey('http://example.com/', 'ip', address));
      expect(error).toBeInstanceOf(InvalidAddressError);
      expect(error.code).toBe('url.invalid_address');
    },
  );
});

describe('hostKey errors', () => {
  it('rejects what is not an http(s) URL', () => {
    expect(() => hostKey('mailto:a@example.com')).toThrow(UnsupportedSchemeError);
    expect(() => hostKey(new URL('ftp://example.com/'), 'domain')).toThrow(UnsupportedSchemeError);
    expect(() => hostKey('example.com')).toThrow(InvalidUrlError);
    expect(() => hostKey('http://./')).toThrow(InvalidUrlError);
    expect(() => hostKey('http://foo.123/')).toThrow(InvalidUrlError);
    expect(() => hostKey('http://1.2.3.256/')).toThrow(InvalidUrlError);
  });

  it('rejects an unknown mode', () => {
    const error = catchError(() => hostKey('http://example.com/', 'port' as HostKeyMode));
    expect(error.code).toBe('url.invalid_host_key_mode');
  });
});

describe('hostKey reads normalised URLs without parsing', () => {
  // The string fast path must agree with the URL parser on every input it accepts.
  const urls = [
    'http://example.com',
    'http://example.com/',
    'https://a.b.c.example.org/x?y#z',
    'http://example.com?x',
    'http://example.com#x',
    'http://a-b.c-d.example/',
    'http://a..b/',
    'http://.example/',
    'http://a-/',
    'http://foo.bar9/',
    'http://9foo.bar/',
    'http://0xab/',
    'http://a.b.0x1/',
    'http://1.2.3.4/',
    'http://1.2.3/',
    'http://0/',
    'http://xn--zz.com/',
    'http://example.com:8080/',
    'http://example.com:8080',
    'http://example.com:8080?q',
    'http://example.com:8080#f',
    'http://example.com:0/',
    'http://example.com:080/',
    'http://example.com:65535/',
    'http://example.com:65536/',
    'http://example.com:123456/',
    'http://example.com:/',
    'http://example.com:80x/',
    'http://example.com:8080:1/',
    'http://example.com:8080@other.example/',
    'http://1.2.3.4:8080/',
    'http://h1.kraul.test:41234/p/1',
    'http://example.com.',
    'http://EXAMPLE.com/',
    'http://ex_ample.com/',
    'http://user@example.com/',
    'http://example.com\\path',
    'https:example.com/',
    'http:/example.com/',
    'http:///example.com/',
    'http://\texample.com/',
  ];
  for (let i = 0; i < 200; i++)
    urls.push(`https://h${i.toString(36)}.s${(i * 7919).toString(36)}.example/p/${i}`);

  it.each(urls)('%s', (url) => {
    const parsed = URL.parse(url);
    const viaParser = parsed === null ? undefined : hostKeyOrCode(() => hostKey(parsed));
    expect(hostKeyOrCode(() => hostKey(url))).toEqual(viaParser ?? 'url.invalid');
  });
});

function hostKeyOrCode(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    if (error instanceof KraulError) return error.code;
    throw error;
  }
}

function catchError(fn: () => unknown): KraulError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KraulError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('normalizedOrigin', () => {
  // What the URL parser gives as the origin of a normalised URL, read without parsing.
  it.each([
    'https://example.com/a?b#c',
    'http://example.com',
    'http://example.com?q',
    'http://h1.kraul.test:41234/p/1',
    'https://[::1]:8443/x',
    'http://127.0.0.2:8080#f',
  ])('%s', (url) => {
    expect(normalizedOrigin(url)).toBe(new URL(url).origin);
  });

  it('has none for other schemes or text', () => {
    expect(normalizedOrigin('mailto:someone@example.com')).toBeUndefined();
    expect(normalizedOrigin('not a url')).toBeUndefined();
    expect(normalizedOrigin('ftp://example.com/')).toBeUndefined();
  });
});
