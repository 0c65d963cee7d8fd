import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { toFetchError } from '../src/classify-error.ts';
import {
  classifyStatus,
  FetchError,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  UnsafeAddressError,
} from '../src/index.ts';

const URL_ = 'http://example.com/page';

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('toFetchError', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', true],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', true],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', true],
    ['ENOTFOUND', 'dns', true],
    ['EAI_AGAIN', 'dns', true],
    ['ECONNREFUSED', 'connect', true],
    ['ECONNRESET', 'connect', true],
    ['UND_ERR_SOCKET', 'connect', true],
    ['CERT_HAS_EXPIRED', 'tls', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls', false],
    ['HPE_INVALID_CONSTANT', 'protocol', false],
    ['UND_ERR_HEADERS_OVERFLOW', 'protocol', false],
    ['Z_DATA_ERROR', 'protocol', false],
    ['UND_ERR_ABORTED', 'aborted', true],
  ])('classifies %s as %s (retryable: %s)', (code, errorClass, retryable) => {
    const error = toFetchError(coded(code), URL_);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toBeInstanceOf(KraulError);
    expect(error).toMatchObject({ errorClass, retryable, url: URL_, code: `fetch.${errorClass}` });
    expect(error.context).toMatchObject({ code, url: URL_, errorClass, retryable });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('looks into AggregateError and causes for the code', () => {
    const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'all failed');
    expect(toFetchError(aggregate, URL_).errorClass).toBe('connect');
    const wrapped = new Error('outer', { cause: coded('ETIMEDOUT') });
    expect(toFetchError(wrapped, URL_).errorClass).toBe('timeout');
  });

  it('prefers the reason of the fetch signal over the error it caused', () => {
    const controller = new AbortController();
    const reason = new FetchError('timeout', 'deadline', { url: URL_ });
    controller.abort(reason);
    expect(toFetchError(coded('ABORT_ERR'), URL_, controller.signal)).toBe(reason);
  });

  it('attaches the URL to connection-level errors raised without one', () => {
    const unsafe = toFetchError(
      new UnsafeAddressError('', 'host.test', '10.0.0.1', {
        range: 'private',
        address: '10.0.0.1',
        openedByPrivateNetworks: true,
      }),
      URL_,
    );
    expect(unsafe).toBeInstanceOf(UnsafeAddressError);
    expect(unsafe).toMatchObject({ url: URL_, host: 'host.test', address: '10.0.0.1' });
    expect(unsafe.context.url).toBe(URL_);

    const dns = toFetchError(new FetchError('dns', 'no address', { url: '', context: { host: 'h' } }), URL_);
    expect(dns).toMatchObject({ url: URL_, errorClass: 'dns', retryable: true });
    expect(dns.context).toMatchObject({ url: URL_, host: 'h' });
  });

  it('serialises to JSON with its context', () => {
    const error = new FetchError('too_large', 'big', { url: URL_, context: { limit: 10 } });
    expect(error.toJSON()).toMatchObject({
      name: 'FetchError',
      code: 'fetch.too_large',
      url: URL_,
      errorClass: 'too_large',
      retryable: false,
      limit: 10,
    });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads HTTP dates in all three formats', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed Jan  1 00:01:30 2025', now)).toBe(90_000);
  });

  it('clamps past dates to 0 and everything to the one-hour cap', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Sat, 01 Feb 2025 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(3_600_000);
  });

  it('ignores what is neither', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', '12abc']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});

describe('classifyStatus', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('does not treat 1xx-3xx as failures', () => {
    for (const status of [200, 204, 301, 304]) expect(classifyStatus(status, {}, now)).toBeUndefined();
  });

  it('makes 408, 429 and 5xx retryable, with Retry-After when given', () => {
    expect(classifyStatus(503, { 'retry-after': '30' }, now)).toEqual({
      errorClass: 'http_status',
      retryable: true,
      retryAfterMs: 30_000,
    });
    expect(classifyStatus(429, { 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, now)).toMatchObject({
      retryable: true,
      retryAfterMs: 10_000,
    });
    expect(classifyStatus(408, {}, now)).toEqual({ errorClass: 'http_status', retryable: true });
    expect(classifyStatus(500, {}, now)).toEqual({ errorClass: 'http_status', retryable: true });
  });

  it('makes other 4xx final', () => {
    for (const status of [400, 401, 403, 404, 410]) {
      expect(classifyStatus(status, { 'retry-after': '5' }, now)).toEqual({
        errorClass: 'http_status',
        retryable: false,
      });
    }
  });
});
