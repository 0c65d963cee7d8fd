import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeAddressError, UnsupportedSchemeError } from '../src/index.ts';
import { fetchError, harness, SITE } from './helpers/harness.ts';

const { serve, fetcher } = harness();

/**
 * Every connection undici starts or completes, from its diagnostics channels: the proof that
 * a refused address never got as far as a connection attempt.
 */
const attempts: string[] = [];
const connected: string[] = [];
const onBeforeConnect = (message: unknown) => {
  attempts.push((message as { connectParams: { hostname: string } }).connectParams.hostname);
};
const onConnected = (message: unknown) => {
  const { socket } = message as { socket: { remoteAddress?: string } };
  connected.push(socket.remoteAddress ?? '?');
};
beforeEach(() => {
  attempts.length = 0;
  connected.length = 0;
  subscribe('undici:client:beforeConnect', onBeforeConnect);
  subscribe('undici:client:connected', onConnected);
});
afterEach(() => {
  unsubscribe('undici:client:beforeConnect', onBeforeConnect);
  unsubscribe('undici:client:connected', onConnected);
});

describe('address safety', () => {
  it('refuses 127.0.0.1 with default options, without connecting', async () => {
    const server = await serve((_request, response) => response.end('secret'), '127.0.0.1');
    const error = await fetchError(fetcher({ allow: undefined }).fetch(`${server.origin}/`));

    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect(error).toMatchObject({ errorClass: 'unsafe_address', retryable: false, address: '127.0.0.1' });
    expect(error.code).toBe('fetch.unsafe_address');
    expect(attempts).toEqual([]);
    expect(server.connections()).toBe(0);
  });

  it('refuses localhost after resolving it with the system resolver', async () => {
    const server = await serve((_request, response) => response.end('secret'), '127.0.0.1');
    const error = await fetchError(fetcher({ allow: undefined }).fetch(`http://localhost:${server.port}/`));

    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect(error).toMatchObject({
      range: 'loopback',
      host: 'localhost',
      url: `http://localhost:${server.port}/`,
    });
    expect(connected).toEqual([]);
    expect(server.connections()).toBe(0);
  });

  it('refuses a host name resolving to 10.0.0.1 before any socket connects', async () => {
    const asked: string[] = [];
    const client = fetcher({
      lookup: async (hostname) => {
        asked.push(hostname);
        return [{ address: '10.0.0.1', family: 4 }];
      },
    });
    const error = await fetchError(client.fetch('http://intranet.test/'));

    expect(asked).toEqual(['intranet.test']);
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect(error).toMatchObject({ address: '10.0.0.1', range: 'private', url: 'http://intranet.test/' });
    expect(connected).toEqual([]);
  });

  it('refuses a host whose answers mix an allowed and a refused address', async () => {
    const server = await serve((_request, response) => response.end('ok'));
    const client = fetcher({
      lookup: async () => [
        { address: SITE, family: 4 },
        { address: '192.168.1.1', family: 4 },
      ],
    });
    const error = await fetchError(client.fetch(`http://rebind.test:${server.port}/`));

    expect(error).toMatchObject({ errorClass: 'unsafe_address', address: '192.168.1.1' });
    expect(server.connections()).toBe(0);
  });

  it('refuses a redirect to a loopback address that is not allowed, without connecting to it', async () => {
    const forbidden = await serve((_request, response) => response.end('secret'), '127.0.0.3');
    const site = await serve((_request, response) => {
      response.writeHead(302, { location: `${forbidden.origin}/admin` });
      response.end();
    });
    const error = await fetchError(fetcher().fetch(`${site.origin}/`));

    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect(error).toMatchObject({ address: '127.0.0.3', url: `${site.origin}/` });
    expect(forbidden.connections()).toBe(0);
    expect(attempts).toEqual([SITE]);
  });

  it('refuses a redirect to the cloud metadata address before any connection attempt', async () => {
    const site = await serve((_request, response) => {
      response.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    });
    const error = await fetchError(fetcher().fetch(`${site.origin}/`));

    expect(error).toMatchObject({
      errorClass: 'unsafe_address',
      address: '169.254.169.254',
      range: 'cloud metadata',
    });
    expect(attempts).toEqual([SITE]);
    expect(connected).toEqual([SITE]);
  });

  it('refuses a redirect to a name that resolves to a refused address', async () => {
    const site = await serve((_request, response) => {
      response.writeHead(302, { location: 'http://metadata.test/' });
      response.end();
    });
    const client = fetcher({
      lookup: async (hostname) => [
        { address: hostname === 'metadata.test' ? '169.254.169.254' : SITE, family: 4 },
      ],
    });
    const error = await fetchError(client.fetch(`${site.origin}/`));

    expect(error).toMatchObject({
      errorClass: 'unsafe_address',
      host: 'metadata.test',
      address: '169.254.169.254',
    });
    expect(connected).toEqual([SITE]);
  });

  it('refuses IPv4-mapped IPv6 literals of refused addresses', async () => {
    const error = await fetchError(fetcher().fetch('http://[::ffff:127.0.0.1]:8080/'));
    expect(error).toMatchObject({
      errorClass: 'unsafe_address',
      address: '::ffff:7f00:1',
      range: 'loopback',
    });
    expect(attempts).toEqual([]);
  });

  it('connects to loopback when private networks are allowed', async () => {
    const server = await serve((_request, response) => response.end('intranet'), '127.0.0.1');
    const response = await fetcher({ allow: { privateNetworks: true } }).fetch(`${server.origin}/`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('intranet');
  });

  it('keeps the cloud metadata address refused when private networks are allowed', async () => {
    const site = await serve((_request, response) => {
      response.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    });
    const error = await fetchError(fetcher({ allow: { privateNetworks: true } }).fetch(`${site.origin}/`));
    expect(error).toMatchObject({ errorClass: 'unsafe_address', range: 'cloud metadata' });
    expect(error.message).toContain('refused even with --allow-private');
    expect(attempts).toEqual([SITE]);
  });

  it('names the flag that would allow a refused address in the message', async () => {
    const server = await serve((_request, response) => response.end('secret'), '127.0.0.1');
    const error = await fetchError(fetcher({ allow: undefined }).fetch(`${server.origin}/`));
    expect(error.message).toBe(
      'refused to connect to 127.0.0.1 for host 127.0.0.1: 127.0.0.1 is a loopback address; allow it with --allow-private or --allow-address 127.0.0.1',
    );
  });

  it('refuses non-http schemes with a typed error', async () => {
    const error = await fetchError(fetcher().fetch('file:///etc/passwd'));
    expect(error).toBeInstanceOf(UnsupportedSchemeError);
    expect(error).toMatchObject({ scheme: 'file', retryable: false });
  });
});
