import type { AddressAllowance } from './address-safety.ts';
import type { RedirectHop } from './redirects.ts';
import type { LookupFunction } from './safe-lookup.ts';

/** Names the crawler and where to read about it, as polite crawlers do. */
export const DEFAULT_USER_AGENT = 'kraul/0.1 (+https://github.com/kraul-crawler/kraul)';

/** HTML first, anything else accepted: the caller decides what to parse. */
export const DEFAULT_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';

const MiB = 1024 * 1024;

/** Decides per response whether its body is worth reading, from its media type. */
export type BodyPredicate = (contentType: string | undefined) => boolean;

/**
 * Called with every redirect target before it is requested; throw (or reject) to refuse it.
 * What it throws is what `fetch` rejects with, unchanged (a scope error stays a scope error).
 */
export type RedirectCheck = (url: string) => void | Promise<void>;

export interface HttpFetcherOptions {
  /** User-Agent header. Default: `DEFAULT_USER_AGENT` (`kraul/0.1 (+https://github.com/kraul-crawler/kraul)`). */
  userAgent?: string;
  /** Accept header. Default: `DEFAULT_ACCEPT`. */
  accept?: string;
  /**
   * Media types whose bodies are read, `*` allowed within type or subtype (`text/*`,
   * `application/*+xml`). Other responses come back with `skippedBody: true`.
   * Default: any type.
   */
  acceptContentTypes?: readonly string[];
  /** Further say per media type whether to read the body (false: skip it). Default: read. */
  bodyFor?: BodyPredicate;
  /** Keep-alive connections per origin, at most. Default: 4. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection stays open; a server's Keep-Alive hint can only shorten it. Default: 10 000 ms. */
  keepAliveTimeoutMs?: number;
  /** Time to establish a TCP (and TLS) connection. Default: 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Time from sending a request to receiving all response headers. Default: 30 000 ms.
   * (undici checks this and `bodyTimeoutMs` on a coarse clock: they fire up to about a second late.)
   */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default: 30 000 ms. */
  bodyTimeoutMs?: number;
  /** Time for the whole fetch, redirects and body included; ends slow-trickle servers. Default: 60 000 ms. */
  totalTimeoutMs?: number;
  /** Body bytes on the wire (before decompression); a larger Content-Length fails before reading. Default: 10 MiB. */
  maxBodyBytes?: number;
  /** Body bytes after decompression; a decompression bomb stops here. Default: 20 MiB. */
  maxDecodedBytes?: number;
  /** Over a size limit: `fail` with a `too_large` error, or `truncate` and mark the result. Default: `fail`. */
  oversize?: 'fail' | 'truncate';
  /** Redirects followed per fetch. Default: 10. */
  maxRedirects?: number;
  /** Scope check for every redirect target. Default: none (scheme and address rules still apply). */
  checkRedirect?: RedirectCheck;
  /** Addresses allowed despite the safety rules. Default: none; only public addresses. */
  allow?: AddressAllowance;
  /** Name resolution. Default: the system resolver (`dns.lookup`). */
  lookup?: LookupFunction;
}

/** Per-request settings; the size, type and redirect ones override the fetcher's. */
export interface FetchRequestOptions {
  /** Default: `GET`. */
  method?: 'GET' | 'HEAD';
  /**
   * Validators from an earlier fetch, sent as If-None-Match / If-Modified-Since on the first
   * request (not on redirect hops: they describe this URL only). A 304 comes back with no body.
   */
  validators?: { etag?: string; lastModified?: string };
  /** Aborting ends the fetch with an `aborted` error. */
  signal?: AbortSignal;
  maxRedirects?: number;
  checkRedirect?: RedirectCheck;
  acceptContentTypes?: readonly string[];
  bodyFor?: BodyPredicate;
  maxBodyBytes?: number;
  maxDecodedBytes?: number;
  oversize?: 'fail' | 'truncate';
  /** Keep the final exchange as it went over the wire (`FetchResponse.raw`), for archives. Default: false. */
  keepRaw?: boolean;
}

/** The final request and response of a fetch as they went over the wire (HTTP/1.1). */
export interface RawExchange {
  request: {
    method: 'GET' | 'HEAD';
    /** Path and query, as sent on the request line. */
    target: string;
    /** Header lines as sent, Host first. */
    headers: [string, string][];
  };
  httpVersion: '1.1';
  statusText: string;
  /** Response header lines as received: names in their case, in order, repeats apart. */
  headers: [string, string][];
  /** The body as received, still content-encoded (dechunked); cut where the fetch cut it. */
  body: Buffer;
  /** The body went over a limit and `body` holds only its start. */
  truncated: boolean;
}

export interface FetchTimings {
  /** Epoch milliseconds when the fetch began. */
  startedAt: number;
  /** Name resolution for the final request, when it opened a new connection to a host name. */
  dnsMs?: number;
  /** TCP and TLS setup for the final request, when it opened a new connection. */
  connectMs?: number;
  /** From dispatching the final request (waiting for and opening a connection included) to its response headers. */
  ttfbMs: number;
  /** The whole fetch, redirects and body included. */
  totalMs: number;
}

export interface FetchResponse {
  /** The URL asked for. */
  url: string;
  /** The URL that gave this response, after redirects (without fragment). */
  finalUrl: string;
  status: number;
  /** Lower-case names; repeated headers joined by ', '. */
  headers: Record<string, string>;
  /**
   * Each `X-Robots-Tag` header line, as sent: a `name:` prefix scopes the rest of its own line
   * only, which joining the lines would lose. Empty when there is none.
   */
  robotsTags: string[];
  /** Redirects followed, in order: each URL that answered with a redirect and its status. */
  redirects: RedirectHop[];
  /** Decoded (decompressed) body; empty for HEAD, 304 and skipped bodies. */
  body: Buffer;
  /** Media type only, lower-case (`text/html`), if the response named a valid one. */
  contentType: string | undefined;
  /** Charset parameter of Content-Type, lower-case, if any. */
  charset: string | undefined;
  /** Content-Length as sent, if any (also when the body was skipped). */
  contentLength: number | undefined;
  /** Body bytes read from the wire (compressed). */
  bytesOnWire: number;
  /** Body bytes after decompression. */
  bytesDecoded: number;
  /** The body went over a limit in `truncate` mode and was cut there. */
  truncated: boolean;
  /** The body was not read: `acceptContentTypes` or `bodyFor` declined the media type. */
  skippedBody: boolean;
  timings: FetchTimings;
  /** Remote IP that served the final response. */
  address: string | undefined;
  /** The final exchange as on the wire, when `keepRaw` asked for it. */
  raw?: RawExchange;
}

export interface FetcherSettings {
  userAgent: string;
  accept: string;
  acceptContentTypes: readonly string[];
  bodyFor: BodyPredicate | undefined;
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  totalTimeoutMs: number;
  maxBodyBytes: number;
  maxDecodedBytes: number;
  oversize: 'fail' | 'truncate';
  maxRedirects: number;
  checkRedirect: RedirectCheck | undefined;
}

export function fetcherSettings(options: HttpFetcherOptions): FetcherSettings {
  return {
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    accept: options.accept ?? DEFAULT_ACCEPT,
    acceptContentTypes: options.acceptContentTypes ?? ['*/*'],
    bodyFor: options.bodyFor,
    connectionsPerOrigin: options.connectionsPerOrigin ?? 4,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 60_000,
    maxBodyBytes: options.maxBodyBytes ?? 10 * MiB,
    maxDecodedBytes: options.maxDecodedBytes ?? 20 * MiB,
    oversize: options.oversize ?? 'fail',
    maxRedirects: options.maxRedirects ?? 10,
    checkRedirect: options.checkRedirect,
  };
}
