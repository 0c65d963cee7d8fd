import { afterEach, expect } from 'vitest';
import { FetchError, HttpFetcher, type HttpFetcherOptions } from '../../src/index.ts';
import { type Handler, startServer, type TestServer } from './test-server.ts';

/** Loopback address the tests serve from and allow; everything else stays refused. */
export const SITE = '127.0.0.2';

/** Servers and fetchers for one test file, closed after each test. */
export function harness() {
  const servers: TestServer[] = [];
  const fetchers: HttpFetcher[] = [];
  afterEach(async () => {
    await Promise.all(fetchers.splice(0).map((fetcher) => fetcher.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return {
    async serve(handler: Handler, host: string = SITE): Promise<TestServer> {
      const server = await startServer(host, handler);
      servers.push(server);
      return server;
    },
    /** A fetcher that may reach exactly the test site address. */
    fetcher(options: HttpFetcherOptions = {}): HttpFetcher {
      const fetcher = new HttpFetcher({ allow: { addresses: [`${SITE}/32`] }, ...options });
      fetchers.push(fetcher);
      return fetcher;
    },
  };
}

/** Awaits a rejection and returns it as the FetchError it must be. */
export async function fetchError(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}
