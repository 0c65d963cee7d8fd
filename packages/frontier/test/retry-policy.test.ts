import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryAt } from '../src/retry-policy.ts';

const policy: RetryPolicy = { baseMs: 1_000, maxMs: 10_000 };
const NOW = 50_000;

describe('retryAt', () => {
  it('waits the base after the first attempt and doubles per further attempt', () => {
    expect(retryAt(NOW, 1, policy)).toBe(NOW + 1_000);
    expect(retryAt(NOW, 2, policy)).toBe(NOW + 2_000);
    expect(retryAt(NOW, 3, policy)).toBe(NOW + 4_000);
    expect(retryAt(NOW, 4, policy)).toBe(NOW + 8_000);
  });

  it('never waits less than the base, even before any attempt', () => {
    expect(retryAt(NOW, 0, policy)).toBe(NOW + 1_000);
  });

  it('never waits longer than the maximum', () => {
    expect(retryAt(NOW, 5, policy)).toBe(NOW + 10_000);
    expect(retryAt(NOW, 60, policy)).toBe(NOW + 10_000);
  });

  it('honours a Retry-After longer than the backoff, and ignores a shorter one', () => {
    expect(retryAt(NOW, 1, policy, 7_500)).toBe(NOW + 7_500);
    expect(retryAt(NOW, 3, policy, 500)).toBe(NOW + 4_000);
    expect(retryAt(NOW, 1, policy, 0)).toBe(NOW + 1_000);
  });

  it('caps a Retry-After at the maximum', () => {
    expect(retryAt(NOW, 1, policy, 3_600_000)).toBe(NOW + 10_000);
  });

  it('defaults to 30 s doubling up to an hour', () => {
    expect(retryAt(0, 1, DEFAULT_RETRY_POLICY)).toBe(30_000);
    expect(retryAt(0, 2, DEFAULT_RETRY_POLICY)).toBe(60_000);
    expect(retryAt(0, 20, DEFAULT_RETRY_POLICY)).toBe(3_600_000);
  });
});
