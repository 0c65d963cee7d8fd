import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { UnsupportedSchemeError } from '../src/index.ts';
import { fetchError, harness, SITE } from './helpers/harness.ts';

const { serve, fetcher } = harness();

/** A server answering each path in `routes` with [status, location]; others get 200 'final'. */
function redirecting(routes: Record<string, [number, string]>) {
  return serve((request, response) => {
    const route = routes[request.url ?? ''];
    if (route) {
      response.writeHead(route[0], { location: route[1] });
      response.end('moved');
    } else {
      response.end(`final ${request.url}`);
    }
  });
}

describe('redirects', () => {
  it('follows a chain of 301/302/303/307/308 across hosts and records each hop', async () => {
    const other = await serve((request, response) => {
      if (request.url === '/elsewhere') {
        response.writeHead(308, { location: '/landing' });
        response.end();
      } else {
        response.end(`landed on ${request.headers.host}${request.url}`);
      }
    });
    const site = await redirecting({
      '/start': [301, '/two'],
      '/two': [302, 'three?x=1'],
      '/three?x=1': [303, `${SITE}:0/unused`.replace(`${SITE}:0/unused`, '/four')],
      '/four': [307, `http://other.test:${other.port}/elsewhere`],
    });
    const client = fetcher({ lookup: async () => [{ address: SITE, family: 4 }] });
    const result = await client.fetch(`${site.origin}/start`);

    expect(result.status).toBe(200);
    expect(result.body.toString()).toBe(`landed on other.test:${other.port}/landing`);
    expect(result.finalUrl).toBe(`http://other.test:${other.port}/landing`);
    expect(result.redirects).toEqual([
      { url: `${site.origin}/start`, status: 301 },
      { url: `${site.origin}/two`, status: 302 },
      { url: `${site.origin}/three?x=1`, status: 303 },
      { url: `${site.origin}/four`, status: 307 },
      { url: `http://other.test:${other.port}/elsewhere`, status: 308 },
    ]);
  });

  it('sends validators only with the first request', async () => {
    const site = await redirecting({ '/old': [301, '/new'] });
    await fetcher().fetch(`${site.origin}/old`, { validators: { etag: '"e"' } });

    expect(site.requests.map((r) => [r.url, r.headers['if-none-match']])).toEqual([
      ['/old', '"e"'],
      ['/new', undefined],
    ]);
  });

  it('returns a redirect without Location as the final response', async () => {
    const site = await serve((_request, response) => {
      response.statusCode = 302;
      response.end('nowhere to go');
    });
    const result = await fetcher().fetch(`${site.origin}/`);
    expect(result.status).toBe(302);
    expect(result.redirects).toEqual([]);
  });

  it('refuses a redirect loop', async () => {
    const site = await redirecting({ '/a': [302, '/b'], '/b': [302, '/c'], '/c': [301, '/a'] });
    const error = await fetchError(fetcher().fetch(`${site.origin}/a`));

    expect(error).toMatchObject({ errorClass: 'redirect_loop', retryable: false, url: `${site.origin}/a` });
    expect(error.context.target).toBe(`${site.origin}/a`);
    expect(site.requests.map((r) => r.url)).toEqual(['/a', '/b', '/c']);
  });

  it('refuses more than maxRedirects redirects', async () => {
    const site = await redirecting({
      '/1': [302, '/2'],
      '/2': [302, '/3'],
      '/3': [302, '/4'],
      '/4': [302, '/5'],
    });
    const client = fetcher({ maxRedirects: 3 });
    const error = await fetchError(client.fetch(`${site.origin}/1`));

    expect(error).toMatchObject({ errorClass: 'too_many_redirects', retryable: false });
    expect(site.requests.map((r) => r.url)).toEqual(['/1', '/2', '/3', '/4']);
    // Exactly maxRedirects redirects are fine; per-request settings override the fetcher's.
    expect((await client.fetch(`${site.origin}/2`)).body.toString()).toBe('final /5');
    expect((await client.fetch(`${site.origin}/1`, { maxRedirects: 4 })).status).toBe(200);
  });

  it.each(['ftp://files.example.com/x', 'file:///etc/passwd', 'javascript:alert(1)'])(
    'refuses a redirect to %s',
    async (target) => {
      const site = await redirecting({ '/go': [302, target] });
      const error = await fetchError(fetcher().fetch(`${site.origin}/go`));

      expect(error).toBeInstanceOf(UnsupportedSchemeError);
      expect(error).toMatchObject({ errorClass: 'unsupported_scheme', retryable: false });
      expect(error.context.target).toBe(target);
    },
  );

  it('refuses a non-http URL given directly', async () => {
    const error = await fetchError(fetcher().fetch('ftp://files.example.com/x'));
    expect(error).toBeInstanceOf(UnsupportedSchemeError);
  });

  it('asks checkRedirect about every hop and stops where it throws', async () => {
    const target = await serve((_request, response) => response.end('should not be reached'), '127.0.0.2');
    const site = await redirecting({ '/in': [301, '/in-scope'], '/in-scope': [302, `${target.origin}/out`] });
    const asked: string[] = [];
    const outOfScope = new KraulError('scope.out_of_scope', 'not in the job scope');
    const client = fetcher({
      checkRedirect: (url) => {
        asked.push(url);
        if (url.startsWith(target.origin)) throw outOfScope;
      },
    });

    await expect(client.fetch(`${site.origin}/in`)).rejects.toBe(outOfScope);
    expect(asked).toEqual([`${site.origin}/in-scope`, `${target.origin}/out`]);
    expect(target.requests).toHaveLength(0);
    // A per-request hook replaces the fetcher's.
    const result = await client.fetch(`${site.origin}/in`, { checkRedirect: async () => {} });
    expect(result.body.toString()).toBe('should not be reached');
  });
});
