import type dns from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hostAddress, hostIndexOfName, hostName } from './addresses.ts';
import type { HostContext, SiteState } from './context.ts';
import { TestSiteError } from './errors.ts';
import { type ExpectedPagesOptions, walkExpectedPages } from './expected-pages.ts';
import { createLookup } from './lookup.ts';
import {
  crawlDelayOf,
  type ResolvedSiteOptions,
  resolveSiteOptions,
  type TestSiteOptions,
} from './options.ts';
import { type GapOptions, type LoggedRequest, type RequestFilter, RequestLog } from './request-log.ts';
import { sendStatus } from './respond.ts';
import { robotsPolicy } from './robots-rules.ts';
import { route } from './router.ts';
import { SessionIds } from './session-ids.ts';
import { SiteTimers } from './timers.ts';

export interface SiteHost {
  index: number;
  /** Address the host listens on: 127.0.0.2 for host 0, and up (or the shared address with `virtualHosts`). */
  address: string;
  port: number;
  /** `http://<address>:<port>` (`http://<name>:<port>` with `virtualHosts`) */
  origin: string;
  /** `h<index>.kraul.test`, resolvable through `site.lookup`. */
  name: string;
}

export interface TestSite {
  readonly hosts: readonly SiteHost[];
  readonly options: Readonly<ResolvedSiteOptions>;
  /** A `dns.lookup` that resolves `h<i>.kraul.test` (and `options.names`) and nothing else. */
  readonly lookup: typeof dns.lookup;
  /** `path` on host `hostIndex`, on the origin the site's own links use (see {@link linkOrigin}). */
  url(hostIndex: number, path: string): string;
  /** `http://h<i>.kraul.test:<port>` */
  originByName(hostIndex: number): string;
  /** The origin links to a host are written with: its address origin, or its name origin with `linkHostNames`. */
  linkOrigin(hostIndex: number): string;
  /** URLs (link origin + path) a correct crawl seeded with `/p/0` of `fromHost` fetches. */
  expectedPages(options?: ExpectedPagesOptions): Set<string>;
  /** Logged requests, in arrival order. */
  requests(filter?: RequestFilter): LoggedRequest[];
  /** Most requests ever open at once on a host. */
  maxConcurrency(hostIndex: number, filter?: RequestFilter): number;
  /** Gaps in ms between consecutive requests to a host (end-to-start by default). */
  gaps(hostIndex: number, options?: GapOptions): number[];
  /** Requests per path (with query). */
  countByPath(filter?: RequestFilter): Map<string, number>;
  /** Requests per URL (link origin + path). */
  countByUrl(filter?: RequestFilter): Map<string, number>;
  clearLog(): void;
  /** Stops every server, destroys open connections (hanging ones too) and clears every timer. */
  close(): Promise<void>;
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : 0);
    });
  });
}

/**
 * Starts the multi-host test site: one `node:http` server per host on its own loopback
 * address, serving the page graph, robots.txt, sitemaps and the hostile endpoints, and
 * logging every request.
 */
export async function startTestSite(options?: TestSiteOptions): Promise<TestSite> {
  const resolved = resolveSiteOptions(options);
  const log = new RequestLog();
  const timers = new SiteTimers();
  const hosts: SiteHost[] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  const checkHost = (index: number): SiteHost => {
    const host = hosts[index];
    if (!host) throw new TestSiteError(`no host ${index}: the site has ${resolved.hosts}`, { host: index });
    return host;
  };
  const originByName = (index: number) => `http://${hostName(index)}:${checkHost(index).port}`;
  const linkOrigin = (index: number) =>
    resolved.linkHostNames ? originByName(index) : checkHost(index).origin;

  const state: SiteState = {
    options: resolved,
    shape: { hosts: resolved.hosts, pagesPerHost: resolved.pagesPerHost },
    timers,
    sessionIds: new SessionIds(resolved.sessionSeed),
    flakyCounts: new Map(),
    linkOrigin,
  };

  const close = async (): Promise<void> => {
    timers.stop();
    const closed = servers
      .filter((server) => server.listening)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const server of servers) server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await Promise.all(closed);
    // Responses report their end a tick after their socket goes: wait, so the log is final.
    await log.whenIdle();
  };

  const handle = (index: number, address: string, req: IncomingMessage, res: ServerResponse): void => {
    const ctx: HostContext = { host: index, site: state };
    log.record(index, address, linkOrigin(index), req, res);
    try {
      // Origin-form targets are appended, not resolved: "//x/y" is a path here, not another host.
      const target = req.url ?? '/';
      const url = target.startsWith('/') ? new URL(linkOrigin(index) + target) : new URL(target);
      route(url.pathname)(ctx, url, req, res);
    } catch {
      if (!res.headersSent) sendStatus(res, 500);
      else res.destroy();
    }
  };
  const track = (server: Server): Server => {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    servers.push(server);
    return server;
  };

  try {
    const shared = resolved.virtualHosts;
    if (shared) {
      // One server for every host: the Host header says which one a request is for.
      const server = track(
        createServer({ requestTimeout: 0 }, (req, res) => {
          const index = hostIndexOfName((req.headers.host ?? '').replace(/:\d+$/, ''));
          if (index === undefined || index >= resolved.hosts) {
            sendStatus(res, 421);
            return;
          }
          handle(index, shared.address, req, res);
        }),
      );
      const port = await listen(server, shared.address, shared.port);
      for (let index = 0; index < resolved.hosts; index++) {
        const name = hostName(index);
        hosts.push({ index, address: shared.address, port, origin: `http://${name}:${port}`, name });
      }
    } else {
      for (let index = 0; index < resolved.hosts; index++) {
        const address = hostAddress(index);
        // No request timeout: /hang and /trickle must stay open until the client or close() ends them.
        const server = track(
          createServer({ requestTimeout: 0 }, (req, res) => handle(index, address, req, res)),
        );
        const port = await listen(server, address, 0);
        hosts.push({ index, address, port, origin: `http://${address}:${port}`, name: hostName(index) });
      }
    }
  } catch (error) {
    await close();
    throw error;
  }

  const names = new Map(
    Object.entries(resolved.names).map(([name, address]) => [name.toLowerCase(), address]),
  );
  const lookup = createLookup((name) => {
    const index = hostIndexOfName(name);
    if (index !== undefined && index < hosts.length) return hosts[index]!.address;
    return names.get(name) ?? (name === 'localhost' ? '127.0.0.1' : undefined);
  });

  return {
    hosts,
    options: resolved,
    lookup,
    url: (index, path) => linkOrigin(index) + path,
    originByName,
    linkOrigin,
    expectedPages: (expected = {}) =>
      walkExpectedPages(
        state.shape,
        linkOrigin,
        (host) =>
          robotsPolicy(
            resolved.robots[host],
            linkOrigin(host),
            crawlDelayOf(resolved, host),
            expected.userAgent ?? 'kraul',
          ),
        expected,
      ),
    requests: (filter) => log.requests(filter),
    maxConcurrency: (index, filter) => log.maxConcurrency(index, filter),
    gaps: (index, gapOptions) => log.gaps(index, gapOptions),
    countByPath: (filter) => log.countByPath(filter),
    countByUrl: (filter) => log.countByUrl(filter),
    clearLog: () => log.clear(),
    close,
  };
}
