export interface RetryPolicy {
  /** Wait before the second attempt; each further attempt doubles it. Default: 30,000 ms. */
  baseMs: number;
  /** Longest wait between attempts. Default: 3,600,000 ms (1 h). */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 30_000, maxMs: 3_600_000 };

/**
 * When a retryable failure may be tried again: exponential backoff from the attempts
 * made so far, or the server's Retry-After when that is longer (capped by maxMs).
 */
export function retryAt(now: number, attempts: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const backoff = policy.baseMs * 2 ** Math.max(0, attempts - 1);
  return now + Math.min(policy.maxMs, Math.max(backoff, retryAfterMs ?? 0));
}
