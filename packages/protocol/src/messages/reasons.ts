import { z } from 'zod';
import type { ErrorClass } from './common.ts';

/**
 * Why a URL ended failed or dropped: one bounded set shared by every layer (the strategy's
 * drop decisions, the frontier's store and metrics, the CLI's summaries and failure files).
 * Small on purpose: it is a Prometheus label value. The free-text detail travels beside it
 * as a message.
 */
export const OUTCOME_REASONS = [
  'address_refused',
  'robots',
  'out_of_scope',
  'depth',
  'trap',
  'budget',
  'timeout',
  'http_4xx',
  'http_5xx',
  'too_large',
  'not_html',
  'dns',
  'connection',
  'tls',
  'redirect_limit',
  'unsupported_scheme',
  'protocol',
  'aborted',
  'handler',
  'handler_timeout',
  'other',
] as const;
export const outcomeReason = z.enum(OUTCOME_REASONS);
export type OutcomeReason = z.infer<typeof outcomeReason>;

/** How each reason reads in a summary line. */
export const REASON_LABELS: Readonly<Record<OutcomeReason, string>> = {
  address_refused: 'address refused',
  robots: 'robots.txt',
  out_of_scope: 'out of scope',
  depth: 'depth',
  trap: 'trap',
  budget: 'budget',
  timeout: 'timeout',
  http_4xx: 'HTTP 4xx',
  http_5xx: 'HTTP 5xx',
  too_large: 'too large',
  not_html: 'not HTML',
  dns: 'DNS',
  connection: 'connection error',
  tls: 'TLS',
  redirect_limit: 'redirect limit',
  unsupported_scheme: 'unsupported scheme',
  protocol: 'protocol error',
  aborted: 'aborted',
  handler: 'page handler error',
  handler_timeout: 'page handler time-out',
  other: 'other',
};

const BY_ERROR_CLASS: Readonly<Record<Exclude<ErrorClass, 'http_status'>, OutcomeReason>> = {
  dns: 'dns',
  connect: 'connection',
  timeout: 'timeout',
  tls: 'tls',
  too_large: 'too_large',
  robots: 'robots',
  unsafe_address: 'address_refused',
  unsupported_scheme: 'unsupported_scheme',
  unsupported_type: 'not_html',
  redirect_loop: 'redirect_limit',
  too_many_redirects: 'redirect_limit',
  out_of_scope: 'out_of_scope',
  protocol: 'protocol',
  aborted: 'aborted',
  handler: 'handler',
  handler_timeout: 'handler_timeout',
};

/** The reason of a failed fetch: its error class, and for `http_status` the status class. */
export function reasonOfFailure(errorClass: ErrorClass, status?: number): OutcomeReason {
  if (errorClass !== 'http_status') return BY_ERROR_CLASS[errorClass];
  if (status !== undefined && status >= 500) return 'http_5xx';
  if (status !== undefined && status >= 400) return 'http_4xx';
  return 'other';
}

const REASON_SET: ReadonlySet<string> = new Set(OUTCOME_REASONS);

export function isOutcomeReason(value: string): value is OutcomeReason {
  return REASON_SET.has(value);
}

/**
 * The reason of a failed or dropped URL recorded before reasons had codes (or by a producer
 * that sends only text): an error class, robots.txt, or the strategy's scope wording.
 */
export function reasonOfText(text: string | undefined): OutcomeReason {
  if (text === undefined || text === '') return 'other';
  if (isOutcomeReason(text)) return text;
  if (text in BY_ERROR_CLASS) return BY_ERROR_CLASS[text as keyof typeof BY_ERROR_CLASS];
  if (text === 'robots.txt') return 'robots';
  if (text.startsWith('depth ')) return 'depth';
  if (text.startsWith('trap')) return 'trap';
  if (/^(other host|other domain|not allowed|denied|url longer than|not a url)/.test(text))
    return 'out_of_scope';
  return 'other';
}
