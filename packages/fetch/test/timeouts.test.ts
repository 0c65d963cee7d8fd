import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from './fixtures/self-signed-cert.ts';
import { fetchError, harness, SITE } from './helpers/harness.ts';
import { startServer } from './helpers/test-server.ts';

const { serve, fetcher } = harness();

// Upper bounds show that the configured timeout ended the fetch, not undici's own defaults
// (minutes for headers and body, 10 s to connect); they leave a busy machine plenty of room.
const WELL_BEFORE_DEFAULT_MS = 15_000;
const WELL_BEFORE_DEFAULT_CONNECT_MS = 8_000;

describe('timeouts and network failures', () => {
  it('times out a server that never sends headers, within headersTimeoutMs', async () => {
    const server = await serve(() => {
      // Accepts the request and says nothing.
    });
    const started = performance.now();
    const error = await fetchError(fetcher({ headersTimeoutMs: 300 }).fetch(`${server.origin}/hang`));
    const elapsed = performance.now() - started;

    expect(error).toMatchObject({ errorClass: 'timeout', retryable: true, code: 'fetch.timeout' });
    expect(error.context.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(WELL_BEFORE_DEFAULT_MS);
  });

  it('times out a server that goes silent mid-body, within bodyTimeoutMs', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.write('<html>');
    });
    const error = await fetchError(fetcher({ bodyTimeoutMs: 300 }).fetch(`${server.origin}/stall`));
    expect(error).toMatchObject({ errorClass: 'timeout', retryable: true });
    expect(error.context.code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('ends a body trickled one byte at a time at the total deadline', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      const timer = setInterval(() => response.write('x'), 50);
      timers.add(timer);
      response.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    // Each byte arrives well within the body timeout; only the total deadline can stop this.
    const error = await fetchError(
      fetcher({ bodyTimeoutMs: 5_000, totalTimeoutMs: 600 }).fetch(`${server.origin}/trickle`),
    );
    const elapsed = performance.now() - started;
    for (const timer of timers) clearInterval(timer);

    expect(error).toMatchObject({ errorClass: 'timeout', retryable: true });
    expect(error.context).toMatchObject({ phase: 'total', timeoutMs: 600 });
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(WELL_BEFORE_DEFAULT_MS);
  });

  it('gives up on a connection not set up within connectTimeoutMs', async () => {
    // A resolver that never answers keeps the connection from ever being made.
    const client = fetcher({ connectTimeoutMs: 300, lookup: () => new Promise(() => {}) });
    const started = performance.now();
    const error = await fetchError(client.fetch('http://slow-dns.test/'));

    expect(error).toMatchObject({ errorClass: 'timeout', retryable: true });
    expect(error.context.code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(WELL_BEFORE_DEFAULT_CONNECT_MS);
  });

  it('reports a refused connection as a retryable connect error', async () => {
    const closed = await startServer(SITE, () => {});
    const { port } = closed;
    await closed.close();
    const error = await fetchError(fetcher().fetch(`http://${SITE}:${port}/`));

    expect(error).toMatchObject({ errorClass: 'connect', retryable: true });
    expect(error.context.code).toBe('ECONNREFUSED');
  });

  it('reports an unresolvable host as a retryable dns error', async () => {
    const client = fetcher({
      lookup: async (hostname) => {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      },
    });
    const error = await fetchError(client.fetch('http://no-such-host.test/'));

    expect(error).toMatchObject({ errorClass: 'dns', retryable: true, url: 'http://no-such-host.test/' });
    expect(error.context.dnsCode).toBe('ENOTFOUND');
  });

  it('reports a certificate the fetcher cannot verify as a non-retryable tls error', async () => {
    const server = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_request, response) =>
      response.end('tls'),
    );
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, SITE, resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await fetchError(fetcher().fetch(`https://${SITE}:${port}/`));
      expect(error).toMatchObject({ errorClass: 'tls', retryable: false });
      expect(error.context.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
