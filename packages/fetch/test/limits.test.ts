import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { fetchError, harness } from './helpers/harness.ts';

const { serve, fetcher } = harness();

describe('size limits', () => {
  it('fails on a Content-Length over maxBodyBytes before reading the body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html', 'content-length': String(50 * 1024 * 1024) });
      response.flushHeaders();
      // The body never comes: a fetcher that tried to read it would wait for the body timeout.
    });
    const started = performance.now();
    const error = await fetchError(
      fetcher({ maxBodyBytes: 1024 * 1024, bodyTimeoutMs: 60_000 }).fetch(`${server.origin}/huge`),
    );

    expect(error).toMatchObject({ errorClass: 'too_large', retryable: false, code: 'fetch.too_large' });
    expect(error.context).toMatchObject({ what: 'body', limit: 1024 * 1024 });
    // Far below the body timeout, with room for a busy machine.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('stops a chunked body at maxBodyBytes and closes the connection', async () => {
    let written = 0;
    const server = await serve(async (_request, response) => {
      response.setHeader('content-type', 'text/html');
      const chunk = Buffer.alloc(64 * 1024, 'x');
      while (!response.destroyed && written < 100 * 1024 * 1024) {
        written += chunk.length;
        if (!response.write(chunk)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
      }
      response.end();
    });
    const error = await fetchError(fetcher({ maxBodyBytes: 256 * 1024 }).fetch(`${server.origin}/stream`));

    expect(error.errorClass).toBe('too_large');
    expect(error.context).toMatchObject({ what: 'body', limit: 256 * 1024 });
    // Socket buffers hold some more, but the server is stopped far before its 100 MB.
    expect(written).toBeLessThan(20 * 1024 * 1024);
  });

  it('keeps the first maxBodyBytes in truncate mode, Content-Length or not', async () => {
    const body = Buffer.alloc(300_000, 'y');
    const server = await serve((request, response) => {
      if (request.url === '/chunked') response.setHeader('transfer-encoding', 'chunked');
      else response.setHeader('content-length', body.length);
      response.end(body);
    });
    const client = fetcher({ maxBodyBytes: 100_000, oversize: 'truncate' });

    for (const path of ['/chunked', '/sized']) {
      const result = await client.fetch(`${server.origin}${path}`);
      expect(result.truncated).toBe(true);
      expect(result.body.length).toBe(100_000);
      expect(result.bytesOnWire).toBe(100_000);
    }
  });

  it('takes per-request limits over the fetcher ones', async () => {
    const server = await serve((_request, response) => response.end('z'.repeat(5000)));
    const client = fetcher({ maxBodyBytes: 1000 });

    expect((await fetchError(client.fetch(`${server.origin}/`))).errorClass).toBe('too_large');
    const result = await client.fetch(`${server.origin}/`, { maxBodyBytes: 10_000 });
    expect(result.body.length).toBe(5000);
  });
});
