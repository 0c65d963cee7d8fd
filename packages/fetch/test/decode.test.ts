import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fetchError, harness } from './helpers/harness.ts';

const { serve, fetcher } = harness();

const TEXT = '<html><body>'.concat('kraul decodes this. '.repeat(500), '</body></html>');

function sendEncoded(encoding: string, body: Buffer) {
  return (_request: unknown, response: ServerResponse) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.setHeader('content-encoding', encoding);
    response.end(body);
  };
}

/** Writes `chunk` until the client goes away, respecting backpressure. */
async function writeForever(response: ServerResponse, chunk: Buffer, times = Number.POSITIVE_INFINITY) {
  for (let i = 0; i < times && !response.destroyed; i++) {
    if (!response.write(chunk)) {
      await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
  }
  if (!response.destroyed) response.end();
}

describe('body decoding', () => {
  it.each([
    ['gzip', gzipSync(TEXT)],
    ['x-gzip', gzipSync(TEXT)],
    ['deflate', deflateSync(TEXT)],
    ['br', brotliCompressSync(TEXT)],
  ])('decodes %s', async (encoding, encoded) => {
    const server = await serve(sendEncoded(encoding, encoded));
    const result = await fetcher().fetch(`${server.origin}/`);

    expect(result.body.toString()).toBe(TEXT);
    expect(result.bytesOnWire).toBe(encoded.length);
    expect(result.bytesDecoded).toBe(Buffer.byteLength(TEXT));
  });

  it('decodes raw deflate, which some servers send for "deflate"', async () => {
    const server = await serve(sendEncoded('deflate', deflateRawSync(TEXT)));
    const result = await fetcher().fetch(`${server.origin}/`);
    expect(result.body.toString()).toBe(TEXT);
  });

  it('decodes concatenated gzip members', async () => {
    const server = await serve(sendEncoded('gzip', Buffer.concat([gzipSync('hello, '), gzipSync('world')])));
    const result = await fetcher().fetch(`${server.origin}/`);
    expect(result.body.toString()).toBe('hello, world');
  });

  it('undoes stacked codings in reverse order', async () => {
    const server = await serve(sendEncoded('deflate, gzip', gzipSync(deflateSync(TEXT))));
    const result = await fetcher().fetch(`${server.origin}/`);
    expect(result.body.toString()).toBe(TEXT);
  });

  it('fails on an unknown coding and on corrupt data with protocol errors', async () => {
    const unknown = await serve(sendEncoded('compress', Buffer.from('whatever')));
    const corrupt = await serve(sendEncoded('gzip', Buffer.from('this is not gzip at all')), '127.0.0.2');
    const client = fetcher();

    const unknownError = await fetchError(client.fetch(`${unknown.origin}/`));
    expect(unknownError.errorClass).toBe('protocol');
    expect(unknownError.message).toContain('compress');
    const corruptError = await fetchError(client.fetch(`${corrupt.origin}/`));
    expect(corruptError).toMatchObject({ errorClass: 'protocol', retryable: false });
  });

  it('stops a gzip bomb at maxDecodedBytes without memory growing toward the bomb size', async () => {
    const member = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    let served = 0;
    const server = await serve(async (_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.setHeader('content-encoding', 'gzip');
      // 100 members of 10 MB of zeros: 1 GB once decoded, about 1 MB on the wire.
      await writeForever(response, member, 100);
      served += 1;
    });
    const client = fetcher();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const error = await fetchError(client.fetch(`${server.origin}/bomb`));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(error.errorClass).toBe('too_large');
    expect(error.context).toMatchObject({ what: 'decoded body', limit: 20 * 1024 * 1024 });
    // The default cap is 20 MiB; the bomb is 1000 MiB. Allow a wide margin for the runtime.
    expect(peak - baseline).toBeLessThan(250 * 1024 * 1024);
    expect(served).toBeLessThanOrEqual(1);
  });

  it('keeps the first maxDecodedBytes of a bomb in truncate mode', async () => {
    const member = gzipSync(Buffer.alloc(1024 * 1024, 'a'));
    const server = await serve(async (_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      await writeForever(response, member, 50);
    });
    const result = await fetcher({ maxDecodedBytes: 1_500_000, oversize: 'truncate' }).fetch(
      `${server.origin}/`,
    );

    expect(result.truncated).toBe(true);
    expect(result.body.length).toBe(1_500_000);
    expect(result.bytesDecoded).toBe(1_500_000);
    expect(result.body.every((byte) => byte === 0x61)).toBe(true);
  });
});
