import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { harness } from './helpers/harness.ts';

const { serve, fetcher } = harness();

describe('HttpFetcher with keepRaw', () => {
  it('keeps the final exchange as on the wire: request line and headers, status text, header lines, encoded body', async () => {
    const html = '<p>hello, archive</p>'.repeat(20);
    const encoded = gzipSync(html);
    const server = await serve((request, response) => {
      if (request.url === '/old') {
        response.writeHead(301, { Location: '/new' });
        response.end();
        return;
      }
      response.writeHead(200, 'Fine Thanks', [
        ['Content-Type', 'text/html'],
        ['Content-Encoding', 'gzip'],
        ['Set-Cookie', 'a=1'],
        ['X-Robots-Tag', 'noarchive'],
        ['Set-Cookie', 'b=2'],
      ]);
      response.end(encoded);
    });
    const result = await fetcher().fetch(`${server.origin}/old`, { keepRaw: true });
    expect(result.body.toString()).toBe(html);
    expect(result.headers['set-cookie']).toBe('a=1, b=2');
    expect(result.robotsTags).toEqual(['noarchive']);
    const raw = result.raw!;
    expect(raw.request.method).toBe('GET');
    expect(raw.request.target).toBe('/new');
    expect(raw.request.headers[0]).toEqual(['Host', new URL(server.origin).host]);
    expect(raw.request.headers).toContainEqual(['accept-encoding', 'gzip, deflate, br']);
    expect(raw.statusText).toBe('Fine Thanks');
    expect(raw.headers.filter(([name]) => name === 'Set-Cookie')).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
    expect(raw.headers.map(([name]) => name)).toContain('Content-Encoding');
    expect(raw.body.equals(encoded)).toBe(true);
    expect(raw.truncated).toBe(false);
  });

  it('keeps a 304 answer to a conditional request: the validators sent, no body', async () => {
    const server = await serve((request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        response.writeHead(304, { ETag: '"v1"' });
        response.end();
        return;
      }
      response.end('fresh');
    });
    const result = await fetcher().fetch(`${server.origin}/page`, {
      keepRaw: true,
      validators: { etag: '"v1"' },
    });
    expect(result.status).toBe(304);
    expect(result.raw!.statusText).toBe('Not Modified');
    expect(result.raw!.request.headers).toContainEqual(['if-none-match', '"v1"']);
    expect(result.raw!.headers).toContainEqual(['ETag', '"v1"']);
    expect(result.raw!.body.length).toBe(0);
  });

  it('keeps nothing raw unless asked, and an unencoded body is its own raw body', async () => {
    const server = await serve((_request, response) => response.end('plain'));
    expect((await fetcher().fetch(`${server.origin}/`)).raw).toBeUndefined();
    const kept = await fetcher().fetch(`${server.origin}/`, { keepRaw: true });
    expect(kept.raw!.body.toString()).toBe('plain');
  });
});
