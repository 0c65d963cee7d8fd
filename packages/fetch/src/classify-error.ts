import { FetchError, type FetchErrorClass, UnsafeAddressError } from './errors.ts';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
  'ENODATA',
  'ESERVFAIL',
]);

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EADDRNOTAVAIL',
  'EMFILE',
  'ENOBUFS',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

const TLS_CODES = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);

/** The `code` of a Node, undici or zlib error, looking into AggregateError and `cause`. */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return errorCode(error.errors[0], depth + 1);
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}

function classOf(code: string | undefined, error: unknown): FetchErrorClass {
  if (code === undefined)
    return (error as { name?: unknown } | null)?.name === 'AbortError' ? 'aborted' : 'protocol';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (DNS_CODES.has(code)) return 'dns';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  if (code === 'UND_ERR_ABORTED' || code === 'UND_ERR_ABORT' || code === 'ABORT_ERR') return 'aborted';
  // Parser errors (HPE_*), header overflow, length mismatch, corrupt gzip/deflate/brotli...
  return 'protocol';
}

/**
 * Turns whatever a fetch threw into a `FetchError` about `url`. When the fetch's own signal
 * fired (total deadline, caller abort), its reason wins: undici and stream pipelines wrap
 * it in errors of their own.
 */
export function toFetchError(error: unknown, url: string, signal?: AbortSignal): FetchError {
  if (signal?.aborted && signal.reason instanceof FetchError) return signal.reason;
  if (error instanceof FetchError) return error.url === url ? error : withUrl(error, url);
  const code = errorCode(error);
  const errorClass = classOf(code, error);
  const message = error instanceof Error ? error.message : String(error);
  return new FetchError(errorClass, `${errorClass} error fetching ${url}: ${message}`, {
    url,
    cause: error,
    context: code === undefined ? {} : { code },
  });
}

/** The same error about another URL: connection-level errors are raised before any URL is known. */
function withUrl(error: FetchError, url: string): FetchError {
  if (error instanceof UnsafeAddressError) {
    return new UnsafeAddressError(url, error.host, error.address, error.refusal);
  }
  const { url: _previous, errorClass: _class, retryable: _retryable, ...context } = error.context;
  return new FetchError(error.errorClass, error.message, {
    url,
    retryable: error.retryable,
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    cause: error.cause,
    context,
  });
}
