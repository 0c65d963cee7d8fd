import { describe, expect, it } from 'vitest';
import {
  ERROR_CLASSES,
  isOutcomeReason,
  OUTCOME_REASONS,
  REASON_LABELS,
  reasonOfFailure,
  reasonOfText,
} from '../src/index.ts';

describe('outcome reasons', () => {
  it('give every error class a reason, and HTTP statuses their class', () => {
    for (const errorClass of ERROR_CLASSES)
      expect(OUTCOME_REASONS).toContain(reasonOfFailure(errorClass, 503));
    expect(reasonOfFailure('http_status', 503)).toBe('http_5xx');
    expect(reasonOfFailure('http_status', 429)).toBe('http_4xx');
    expect(reasonOfFailure('http_status')).toBe('other');
    expect(reasonOfFailure('unsafe_address')).toBe('address_refused');
    expect(reasonOfFailure('too_many_redirects')).toBe('redirect_limit');
    expect(reasonOfFailure('unsupported_type')).toBe('not_html');
    expect(reasonOfFailure('connect')).toBe('connection');
  });

  it('read the words older stores and producers kept', () => {
    expect(reasonOfText('robots.txt')).toBe('robots');
    expect(reasonOfText('timeout')).toBe('timeout');
    expect(reasonOfText('depth 21 over 20')).toBe('depth');
    expect(reasonOfText('trap: session id parameter "sid"')).toBe('trap');
    for (const words of ['other host', 'other domain', 'not allowed', 'denied', 'url longer than 2048'])
      expect(reasonOfText(words)).toBe('out_of_scope');
    expect(reasonOfText('budget')).toBe('budget');
    expect(reasonOfText('something new')).toBe('other');
    expect(reasonOfText(undefined)).toBe('other');
  });

  it('each have a label, and no label is shared', () => {
    expect(Object.keys(REASON_LABELS).sort()).toEqual([...OUTCOME_REASONS].sort());
    expect(new Set(Object.values(REASON_LABELS)).size).toBe(OUTCOME_REASONS.length);
    expect(isOutcomeReason('trap')).toBe(true);
    expect(isOutcomeReason('trapped')).toBe(false);
  });
});
