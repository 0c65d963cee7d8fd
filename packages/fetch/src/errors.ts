import { KraulError } from '@kraul/protocol';
import { type AddressRefusal, describeRefusal } from './address-safety.ts';

/**
 * Why a fetch failed, in the words the crawler reports on `kraul.events`. `http_status`
 * and `robots` are never thrown by the fetcher itself: it returns non-2xx responses as
 * results, and robots rules are a boolean; the crawler builds those errors from them.
 */
export type FetchErrorClass =
  | 'dns'
  | 'connect'
  | 'timeout'
  | 'tls'
  | 'http_status'
  | 'too_large'
  | 'robots'
  | 'unsafe_address'
  | 'unsupported_scheme'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'protocol'
  | 'aborted';

export interface FetchErrorDetails {
  /** The URL the caller asked for (not the redirect hop that failed; that one is in `context.hop`). */
  url: string;
  /** Whether trying the same URL later may succeed. Defaults per class, see `defaultRetryable`. */
  retryable?: boolean;
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
  /** More context for logs and dead letters: the redirect hop, the refused address... */
  context?: Record<string, unknown>;
}

const RETRYABLE_BY_DEFAULT: Readonly<Record<FetchErrorClass, boolean>> = {
  dns: true,
  connect: true,
  timeout: true,
  tls: false,
  http_status: false,
  too_large: false,
  robots: false,
  unsafe_address: false,
  unsupported_scheme: false,
  redirect_loop: false,
  too_many_redirects: false,
  protocol: false,
  // An abort is the caller's choice (shutdown, lost lease), not a verdict on the page.
  aborted: true,
};

export function defaultRetryable(errorClass: FetchErrorClass): boolean {
  return RETRYABLE_BY_DEFAULT[errorClass];
}

/** Every failure of `HttpFetcher.fetch` is a `FetchError`; `code` is `fetch.<errorClass>`. */
export class FetchError extends KraulError {
  readonly errorClass: FetchErrorClass;
  readonly retryable: boolean;
  readonly url: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(errorClass: FetchErrorClass, message: string, details: FetchErrorDetails) {
    const retryable = details.retryable ?? defaultRetryable(errorClass);
    const context: Record<string, unknown> = { url: details.url, errorClass, retryable, ...details.context };
    if (details.status !== undefined) context.status = details.status;
    if (details.retryAfterMs !== undefined) context.retryAfterMs = details.retryAfterMs;
    super(
      `fetch.${errorClass}`,
      message,
      context,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.errorClass = errorClass;
    this.retryable = retryable;
    this.url = details.url;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** A resolved or literal address in a range the fetcher refuses (loopback, private, link-local...). */
export class UnsafeAddressError extends FetchError {
  readonly host: string;
  /** The address the host is, or resolved to. */
  readonly address: string;
  readonly refusal: AddressRefusal;

  constructor(url: string, host: string, address: string, refusal: AddressRefusal) {
    super(
      'unsafe_address',
      `refused to connect to ${address} for host ${host}: ${describeRefusal(refusal)}`,
      {
        url,
        context: { host, address, range: refusal.range },
      },
    );
    this.host = host;
    this.address = address;
    this.refusal = refusal;
  }

  /** The kind of range the address is in, e.g. `loopback`. */
  get range(): string {
    return this.refusal.range;
  }
}

/** A URL, or a redirect target, whose scheme is not http or https. */
export class UnsupportedSchemeError extends FetchError {
  readonly scheme: string;

  constructor(url: string, target: string, scheme: string) {
    super('unsupported_scheme', `refused to fetch ${scheme} URL ${target}: only http and https are fetched`, {
      url,
      context: { target, scheme },
    });
    this.scheme = scheme;
  }
}
