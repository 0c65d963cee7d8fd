import { Agent, type Dispatcher } from 'undici';
import { AddressPolicy, ipLiteralOf } from './address-safety.ts';
import { toFetchError } from './classify-error.ts';
import {
  type ResponseConnection,
  takeResponseConnection,
  timedConnector,
  trackResponseConnections,
} from './connection-info.ts';
import { mediaTypeMatcher, parseContentType } from './content-type.ts';
import { Deadline } from './deadline.ts';
import { type DecodedBody, readBody, tooLarge } from './decode-body.ts';
import { UnsafeAddressError } from './errors.ts';
import {
  type FetcherSettings,
  type FetchRequestOptions,
  type FetchResponse,
  type FetchTimings,
  fetcherSettings,
  type HttpFetcherOptions,
} from './options.ts';
import { httpUrl, RedirectChain } from './redirects.ts';
import { safeLookup, systemLookup } from './safe-lookup.ts';

/** Bodies of redirects and of 204/304/HEAD responses up to this size are drained to keep the connection. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/** Undone before reading the body; the fetcher decodes itself, with limits. */
const ACCEPT_ENCODING = 'gzip, deflate, br';

interface Sent {
  response: Dispatcher.ResponseData;
  connection: ResponseConnection | undefined;
  ttfbMs: number;
  /** Header lines as received, when the run keeps the raw exchange. */
  rawHeaders?: [string, string][];
  /** Request header lines as sent, when the run keeps the raw exchange. */
  sentHeaders?: [string, string][];
}

/** One call of `fetch`. */
interface Run {
  requestedUrl: string;
  method: 'GET' | 'HEAD';
  options: FetchRequestOptions;
  deadline: Deadline;
  /** Epoch ms, for the result. */
  startedAt: number;
  /** Monotonic ms, for durations. */
  started: number;
}

/** The response that ends the redirect chain. */
interface FinalHop {
  url: URL;
  sent: Sent;
  headers: Record<string, string>;
}

/** Carries what `checkRedirect` threw past the error classification, to hand it back unchanged. */
class RefusedByRedirectCheck {
  readonly reason: unknown;

  constructor(reason: unknown) {
    this.reason = reason;
  }
}

/**
 * Fetches pages for the crawler over a keep-alive connection pool, with every safety rule a
 * crawler of the open web needs: only public addresses (checked after DNS, on every
 * connection and redirect), only http(s), size limits before and after decompression,
 * timeouts per phase plus a total deadline, and manual redirects with loop detection.
 * Non-2xx responses are results, not errors; failures are `FetchError`s.
 */
export class HttpFetcher {
  readonly userAgent: string;
  readonly #settings: FetcherSettings;
  readonly #acceptsType: (mediaType: string | undefined) => boolean;
  readonly #policy: AddressPolicy;
  readonly #agent: Agent;

  constructor(options: HttpFetcherOptions = {}) {
    this.#settings = fetcherSettings(options);
    this.userAgent = this.#settings.userAgent;
    this.#acceptsType = mediaTypeMatcher(this.#settings.acceptContentTypes);
    this.#policy = new AddressPolicy(options.allow);
    trackResponseConnections();
    const { connectionsPerOrigin, keepAliveTimeoutMs, connectTimeoutMs } = this.#settings;
    this.#agent = new Agent({
      connections: connectionsPerOrigin,
      keepAliveTimeout: keepAliveTimeoutMs,
      keepAliveMaxTimeout: keepAliveTimeoutMs,
      headersTimeout: this.#settings.headersTimeoutMs,
      bodyTimeout: this.#settings.bodyTimeoutMs,
      // HTTP/1.1 only: one request per connection keeps per-host concurrency what the
      // crawler asked for.
      allowH2: false,
      connect: timedConnector({
        timeout: connectTimeoutMs,
        allowH2: false,
        lookup: safeLookup(this.#policy, options.lookup ?? systemLookup),
      }),
    });
  }

  /** Fetches `url`, following redirects. Resolves with any HTTP status; rejects with a `FetchError`. */
  async fetch(url: string, options: FetchRequestOptions = {}): Promise<FetchResponse> {
    const startedAt = Date.now();
    const started = performance.now();
    const deadline = new Deadline(url, this.#settings.totalTimeoutMs, options.signal);
    const method = options.method ?? 'GET';
    try {
      return await this.#fetch({ requestedUrl: url, method, options, deadline, startedAt, started });
    } catch (error) {
      if (error instanceof RefusedByRedirectCheck) throw error.reason;
      throw toFetchError(error, url, deadline.signal);
    } finally {
      deadline.dispose();
    }
  }

  /** Closes idle connections and waits for running requests. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #fetch(run: Run): Promise<FetchResponse> {
    const { requestedUrl, options, deadline } = run;
    let current = httpUrl(requestedUrl, requestedUrl);
    const chain = new RedirectChain(
      requestedUrl,
      current,
      options.maxRedirects ?? this.#settings.maxRedirects,
    );
    for (;;) {
      this.#checkLiteralAddress(current, requestedUrl);
      deadline.check();
      const validators = chain.hops.length === 0 ? options.validators : undefined;
      const sent = await this.#send(
        current,
        run.method,
        validators,
        deadline.signal,
        options.keepRaw === true,
      );
      const headers = flattenHeaders(sent.response.headers);
      let next: URL | undefined;
      try {
        next = chain.next(current, sent.response.statusCode, headers.location);
      } catch (error) {
        closeBody(sent.response.body);
        throw error;
      }
      if (next === undefined) return await this.#finish(run, { url: current, sent, headers }, chain);
      await sent.response.body.dump({ limit: DRAIN_LIMIT_BYTES, signal: deadline.signal });
      try {
        await (options.checkRedirect ?? this.#settings.checkRedirect)?.(next.href);
      } catch (reason) {
        throw new RefusedByRedirectCheck(reason);
      }
      current = next;
    }
  }

  async #finish(run: Run, last: FinalHop, chain: RedirectChain): Promise<FetchResponse> {
    const { requestedUrl, options, deadline } = run;
    const { response, connection } = last.sent;
    const status = response.statusCode;
    const { mediaType, charset } = parseContentType(last.headers['content-type']);
    const contentLength = parseContentLength(last.headers['content-length']);
    const hasBody = run.method !== 'HEAD' && status !== 204 && status !== 304;
    const wanted = hasBody && this.#wantsBody(mediaType, options);
    const limits = {
      maxBodyBytes: options.maxBodyBytes ?? this.#settings.maxBodyBytes,
      maxDecodedBytes: options.maxDecodedBytes ?? this.#settings.maxDecodedBytes,
      oversize: options.oversize ?? this.#settings.oversize,
    };
    let decoded: DecodedBody = { body: Buffer.alloc(0), bytesOnWire: 0, bytesDecoded: 0, truncated: false };
    try {
      if (!hasBody) {
        await response.body.dump({ limit: DRAIN_LIMIT_BYTES, signal: deadline.signal });
      } else if (!wanted) {
        // Not worth the bytes: closing the connection is cheaper than draining an image.
        closeBody(response.body);
      } else {
        if (
          limits.oversize === 'fail' &&
          contentLength !== undefined &&
          contentLength > limits.maxBodyBytes
        ) {
          throw tooLarge(requestedUrl, 'body', limits.maxBodyBytes);
        }
        const encoding = last.headers['content-encoding'];
        decoded = await readBody(
          response.body,
          encoding,
          limits,
          requestedUrl,
          deadline.signal,
          options.keepRaw === true,
        );
      }
    } catch (error) {
      closeBody(response.body);
      throw error;
    }
    const timings: FetchTimings = {
      startedAt: run.startedAt,
      ttfbMs: last.sent.ttfbMs,
      totalMs: performance.now() - run.started,
    };
    if (connection?.dnsMs !== undefined) timings.dnsMs = connection.dnsMs;
    if (connection?.connectMs !== undefined) timings.connectMs = connection.connectMs;
    const { rawBody, ...kept } = decoded;
    const raw = last.sent.rawHeaders && {
      request: {
        method: run.method,
        target: `${last.url.pathname}${last.url.search}`,
        headers: last.sent.sentHeaders ?? [],
      },
      httpVersion: '1.1' as const,
      statusText: response.statusText ?? '',
      headers: last.sent.rawHeaders,
      body: rawBody ?? Buffer.alloc(0),
      truncated: decoded.truncated,
    };
    return {
      url: requestedUrl,
      finalUrl: last.url.href,
      status,
      headers: last.headers,
      robotsTags: headerLines(response.headers, 'x-robots-tag'),
      redirects: chain.hops,
      contentType: mediaType,
      charset,
      contentLength,
      skippedBody: hasBody && !wanted,
      ...kept,
      timings,
      address: connection?.address ?? ipLiteralOf(last.url.hostname),
      ...(raw ? { raw } : {}),
    };
  }

  #wantsBody(mediaType: string | undefined, options: FetchRequestOptions): boolean {
    const acceptsType = options.acceptContentTypes
      ? mediaTypeMatcher(options.acceptContentTypes)
      : this.#acceptsType;
    const bodyFor = options.bodyFor ?? this.#settings.bodyFor;
    return acceptsType(mediaType) && (bodyFor?.(mediaType) ?? true);
  }

  /** Literal IPs never reach the safe lookup, so they are checked before connecting. */
  #checkLiteralAddress(url: URL, requestedUrl: string): void {
    const literal = ipLiteralOf(url.hostname);
    if (literal === undefined) return;
    const refusal = this.#policy.refusal(literal);
    if (refusal !== undefined) throw new UnsafeAddressError(requestedUrl, url.hostname, literal, refusal);
  }

  #send(
    url: URL,
    method: 'GET' | 'HEAD',
    validators: FetchRequestOptions['validators'],
    signal: AbortSignal,
    keepRaw: boolean,
  ): Promise<Sent> {
    const headers: Record<string, string> = {
      'user-agent': this.#settings.userAgent,
      accept: this.#settings.accept,
      'accept-encoding': ACCEPT_ENCODING,
    };
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    const sentAt = performance.now();
    return new Promise((resolve, reject) => {
      this.#agent.request(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          signal,
          // Raw: header lines in their case and order, for an archive of the exchange.
          ...(keepRaw ? { responseHeaders: 'raw' as const } : {}),
        },
        (error, response) => {
          if (error) {
            reject(error);
            return;
          }
          // Synchronously, before another response's headers can be parsed.
          const connection = takeResponseConnection();
          const ttfbMs = performance.now() - sentAt;
          if (!keepRaw) {
            resolve({ response, connection, ttfbMs });
            return;
          }
          const rawHeaders = headerPairs(response.headers as unknown as string[]);
          resolve({
            response: { ...response, headers: groupHeaders(rawHeaders) },
            connection,
            ttfbMs,
            rawHeaders,
            sentHeaders: [['Host', url.host], ...Object.entries(headers)],
          });
        },
      );
    });
  }
}

/** `[name, value, name, value, ...]` (undici's raw headers) as pairs. */
function headerPairs(flat: readonly (string | Buffer)[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])]);
  return pairs;
}

/** Raw header lines as undici's parsed headers: lower-case names, repeats as arrays. */
function groupHeaders(pairs: readonly [string, string][]): Dispatcher.ResponseData['headers'] {
  const grouped: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const known = grouped[key];
    if (known === undefined) grouped[key] = value;
    else if (Array.isArray(known)) known.push(value);
    else grouped[key] = [known, value];
  }
  return grouped;
}

/** Lower-case names, one string per header (repeated headers joined by ', '). */
function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  // fromEntries defines own properties, so a header named __proto__ stays a header.
  return Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]),
  );
}

/** Each line of one header (`name` lower-case), as sent, in order. */
function headerLines(headers: Dispatcher.ResponseData['headers'], name: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) lines.push(...value);
    else lines.push(value);
  }
  return lines;
}

/** Closes a body without reading it (and its connection); the resulting abort is expected. */
function closeBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function parseContentLength(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}
