/**
 * The longest wait a Retry-After header can impose: 1 hour. A server asking for more is
 * treated as asking for an hour; the frontier's attempt cap decides what happens after.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Milliseconds to wait according to a Retry-After value (RFC 9110 §10.2.3): either
 * delay-seconds or an HTTP date. A date in the past means 0; the result is capped at
 * `MAX_RETRY_AFTER_MS`; anything unparsable gives undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // Only date-shaped values: Date.parse alone would also accept "1.5" or "-3".
  if (!/^[A-Za-z]{3},? /.test(text) && !/^[A-Za-z]+day, /.test(text)) return undefined;
  // asctime dates carry no zone; HTTP dates are all GMT, while Date.parse would assume local time.
  const asctime = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text);
  const at = Date.parse(asctime ? `${text} GMT` : text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}
