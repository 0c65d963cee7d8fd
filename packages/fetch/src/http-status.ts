import { parseRetryAfter } from './retry-after.ts';

export interface StatusClassification {
  errorClass: 'http_status';
  retryable: boolean;
  /** From Retry-After, when the server sent one (see `parseRetryAfter` for the cap). */
  retryAfterMs?: number;
}

/**
 * How the crawler should report a response status. The fetcher returns every response as a
 * result; this says which ones are failures: 4xx and 5xx. 408, 429 and 5xx are worth
 * retrying (honouring Retry-After); other 4xx are the page's final answer. 1xx-3xx are not
 * failures (an unfollowed 3xx is reported as fetched).
 */
export function classifyStatus(
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  now: number = Date.now(),
): StatusClassification | undefined {
  if (status < 400) return undefined;
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = retryable ? parseRetryAfter(headers['retry-after'], now) : undefined;
  return retryAfterMs === undefined
    ? { errorClass: 'http_status', retryable }
    : { errorClass: 'http_status', retryable, retryAfterMs };
}
