import { z } from 'zod';
import {
  depth,
  durationMs,
  epochMs,
  errorClass,
  fingerprint,
  jobId,
  meta,
  score,
  url,
  validators,
} from './common.ts';
import { outcomeReason } from './reasons.ts';

export const scheduleDecision = z.object({
  op: z.literal('schedule'),
  url,
  fp: fingerprint,
  score,
  depth,
  /** Earliest time the URL may be fetched (revisits, backoff). */
  notBefore: epochMs.optional(),
  meta: meta.optional(),
});

export const doneDecision = z.object({
  op: z.literal('done'),
  url,
  fp: fingerprint,
  lease: z.string().max(64),
  status: z.number().int(),
  validators: validators.optional(),
  fetchedAt: epochMs,
});

export const failedDecision = z.object({
  op: z.literal('failed'),
  url,
  fp: fingerprint,
  lease: z.string().max(64),
  errorClass,
  retryable: z.boolean(),
  retryAfterMs: durationMs.optional(),
  /** The response status, when the status itself was the failure. */
  status: z.number().int().min(100).max(999).optional(),
  /** What went wrong, in words (the crawler's message). */
  message: z.string().max(2_048).optional(),
});

export const dropDecision = z.object({
  op: z.literal('drop'),
  url,
  fp: fingerprint,
  /** Why, in words ('depth 21 over 20', 'disallowed by robots.txt'). */
  reason: z.string().max(256),
  /** Why, as one of the shared reason codes; derived from `reason` when absent. */
  code: outcomeReason.optional(),
  /** Depth the URL was found at: a URL dropped for its depth is taken when found shallower. */
  depth: depth.optional(),
});

/** The rules of a host's robots.txt: the frontier drops the host's disallowed URLs before leasing them. */
export const robotsDecision = z.object({
  op: z.literal('robots'),
  /** The robots.txt URL. */
  url,
  token: z.string().min(1).max(128),
  text: z.string().max(65_536),
  expiresAt: epochMs,
});

export const decision = z.discriminatedUnion('op', [
  scheduleDecision,
  doneDecision,
  failedDecision,
  dropDecision,
  robotsDecision,
]);
export type Decision = z.infer<typeof decision>;
export type ScheduleDecision = z.infer<typeof scheduleDecision>;
export type DoneDecision = z.infer<typeof doneDecision>;
export type FailedDecision = z.infer<typeof failedDecision>;
export type DropDecision = z.infer<typeof dropDecision>;
export type RobotsDecision = z.infer<typeof robotsDecision>;

/**
 * strategy → frontier on the schedule topic. One record carries every decision of
 * one page for one destination partition, keyed by a host key of that partition.
 */
export const scheduleBatch = z.object({
  type: z.literal('schedule.batch'),
  job: jobId,
  decisions: z.array(decision).min(1).max(50_000),
});
export type ScheduleBatch = z.infer<typeof scheduleBatch>;
