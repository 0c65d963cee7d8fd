import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_AGENT } from '../src/index.ts';
import { fetchError, harness, SITE } from './helpers/harness.ts';

const { serve, fetcher } = harness();

describe('HttpFetcher', () => {
  it('fetches a 200 with headers, timings, address and the default request headers', async () => {
    const server = await serve((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=ISO-8859-1');
      response.setHeader('x-multi', ['a', 'b']);
      response.end('<p>hello</p>');
    });
    const before = Date.now();
    const result = await fetcher().fetch(`${server.origin}/page?q=1#frag`);

    expect(result.status).toBe(200);
    expect(result.url).toBe(`${server.origin}/page?q=1#frag`);
    expect(result.finalUrl).toBe(`${server.origin}/page?q=1`);
    expect(result.body.toString()).toBe('<p>hello</p>');
    expect(result.contentType).toBe('text/html');
    expect(result.charset).toBe('iso-8859-1');
    expect(result.headers['x-multi']).toBe('a, b');
    expect(result.contentLength).toBe(12);
    expect(result.bytesOnWire).toBe(12);
    expect(result.bytesDecoded).toBe(12);
    expect(result.redirects).toEqual([]);
    expect(result.truncated).toBe(false);
    expect(result.skippedBody).toBe(false);
    expect(result.address).toBe(SITE);
    expect(result.timings.startedAt).toBeGreaterThanOrEqual(before);
    expect(result.timings.ttfbMs).toBeGreaterThan(0);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttfbMs);
    expect(result.timings.connectMs).toBeGreaterThan(0);
    // An IP literal is not resolved.
    expect(result.timings.dnsMs).toBeUndefined();

    const request = server.requests[0]!;
    expect(request.url).toBe('/page?q=1');
    expect(request.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(request.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(request.headers.accept).toContain('text/html');
  });

  it('keeps each X-Robots-Tag line apart, so a user-agent prefix scopes only its own line', async () => {
    const server = await serve((_request, response) => {
      response.setHeader('X-Robots-Tag', ['otherbot: noindex', 'nofollow']);
      response.end('<p>hi</p>');
    });
    const client = fetcher();
    const tagged = await client.fetch(`${server.origin}/`);
    expect(tagged.robotsTags).toEqual(['otherbot: noindex', 'nofollow']);
    expect(tagged.headers['x-robots-tag']).toBe('otherbot: noindex, nofollow');

    const plain = await serve((_request, response) => response.end('ok'));
    expect((await client.fetch(`${plain.origin}/`)).robotsTags).toEqual([]);
  });

  it('reuses a keep-alive connection; only the request that opened it reports connect time', async () => {
    const server = await serve((_request, response) => response.end('ok'));
    // One connection per origin: the second request waits for it rather than opening another.
    const client = fetcher({ connectionsPerOrigin: 1 });
    const first = await client.fetch(`${server.origin}/a`);
    const second = await client.fetch(`${server.origin}/b`);

    expect(server.connections()).toBe(1);
    expect(first.timings.connectMs).toBeDefined();
    expect(second.timings.connectMs).toBeUndefined();
    expect(second.address).toBe(SITE);
  });

  it('reports the address that served each response when many run at once', async () => {
    const hosts = [SITE, '127.0.0.4'];
    const servers = await Promise.all(
      hosts.map((host) =>
        serve((_request, response) => {
          setTimeout(() => response.end(host), Math.random() * 20);
        }, host),
      ),
    );
    const client = fetcher({ allow: { addresses: hosts } });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.fetch(`${servers[i % 2]!.origin}/${i}`)),
    );

    for (const result of results) expect(result.address).toBe(result.body.toString());
  });

  it('resolves host names through the lookup and reports DNS time and the address used', async () => {
    const server = await serve((request, response) => response.end(request.headers.host));
    const resolved: string[] = [];
    const client = fetcher({
      userAgent: 'testbot/2.0 (+https://example.org/bot)',
      lookup: async (hostname) => {
        resolved.push(hostname);
        return [{ address: SITE, family: 4 }];
      },
    });
    const result = await client.fetch(`http://site.test:${server.port}/`);

    expect(resolved).toEqual(['site.test']);
    expect(result.body.toString()).toBe(`site.test:${server.port}`);
    expect(result.address).toBe(SITE);
    expect(result.timings.dnsMs).toBeGreaterThanOrEqual(0);
    expect(server.requests[0]!.headers['user-agent']).toBe('testbot/2.0 (+https://example.org/bot)');
  });

  it('sends validators and returns a 304 without body', async () => {
    const server = await serve((request, response) => {
      const fresh =
        request.headers['if-none-match'] === '"v1"' &&
        request.headers['if-modified-since'] === 'Wed, 21 Oct 2015 07:28:00 GMT';
      response.statusCode = fresh ? 304 : 200;
      response.setHeader('etag', '"v1"');
      response.end(fresh ? undefined : 'full body');
    });
    const result = await fetcher().fetch(`${server.origin}/`, {
      validators: { etag: '"v1"', lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' },
    });

    expect(result.status).toBe(304);
    expect(result.body.length).toBe(0);
    expect(result.headers.etag).toBe('"v1"');
    expect(result.skippedBody).toBe(false);
  });

  it('returns non-2xx responses as results, body included', async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 404;
      response.setHeader('content-type', 'text/html');
      response.end('not here');
    });
    const result = await fetcher().fetch(`${server.origin}/missing`);

    expect(result.status).toBe(404);
    expect(result.body.toString()).toBe('not here');
  });

  it('sends HEAD and returns no body', async () => {
    const server = await serve((request, response) => {
      response.setHeader('content-type', 'text/html');
      response.setHeader('content-length', '1234');
      response.end(request.method === 'HEAD' ? undefined : 'x'.repeat(1234));
    });
    const result = await fetcher().fetch(`${server.origin}/`, { method: 'HEAD' });

    expect(server.requests[0]!.method).toBe('HEAD');
    expect(result.body.length).toBe(0);
    expect(result.contentLength).toBe(1234);
  });

  it('skips bodies that bodyFor declines, reporting type and length without reading', async () => {
    const image = Buffer.alloc(4 * 1024 * 1024, 7);
    const server = await serve((request, response) => {
      response.setHeader('content-type', request.url === '/photo' ? 'image/jpeg' : 'text/html');
      response.end(request.url === '/photo' ? image : '<html></html>');
    });
    const seen: Array<string | undefined> = [];
    const client = fetcher({
      bodyFor: (type) => {
        seen.push(type);
        return type === 'text/html';
      },
    });
    const photo = await client.fetch(`${server.origin}/photo`);
    const page = await client.fetch(`${server.origin}/page`);

    expect(seen).toEqual(['image/jpeg', 'text/html']);
    expect(photo).toMatchObject({ skippedBody: true, truncated: false, contentType: 'image/jpeg' });
    expect(photo.contentLength).toBe(image.length);
    expect(photo.body.length).toBe(0);
    expect(photo.bytesOnWire).toBe(0);
    expect(page.skippedBody).toBe(false);
    expect(page.body.toString()).toBe('<html></html>');
  });

  it('reads only the media types in acceptContentTypes, per fetcher or per request', async () => {
    const server = await serve((request, response) => {
      const types: Record<string, string> = {
        '/png': 'image/png',
        '/txt': 'text/plain',
        '/svg': 'image/svg+xml',
      };
      const type = types[request.url ?? ''];
      if (type) response.setHeader('content-type', type);
      response.end('data');
    });
    const client = fetcher({ acceptContentTypes: ['text/*', 'image/*+xml'] });

    expect((await client.fetch(`${server.origin}/png`)).skippedBody).toBe(true);
    expect((await client.fetch(`${server.origin}/txt`)).body.toString()).toBe('data');
    expect((await client.fetch(`${server.origin}/svg`)).body.toString()).toBe('data');
    // No Content-Type at all: only an any-type list reads it.
    expect((await client.fetch(`${server.origin}/none`)).skippedBody).toBe(true);
    const anyType = await client.fetch(`${server.origin}/png`, { acceptContentTypes: ['*/*'] });
    expect(anyType.body.toString()).toBe('data');
  });

  it('ends with an aborted error when the caller aborts', async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const pending = fetcher().fetch(`${server.origin}/`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    const error = await fetchError(pending);

    expect(error.errorClass).toBe('aborted');
    expect(error.code).toBe('fetch.aborted');
    expect(error.url).toBe(`${server.origin}/`);
  });

  it('refuses an unparsable URL with a protocol error', async () => {
    const error = await fetchError(fetcher().fetch('http://exa mple.com/'));
    expect(error.errorClass).toBe('protocol');
    expect(error.retryable).toBe(false);
  });
});
