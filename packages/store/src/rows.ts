import { isOutcomeReason, type OutcomeReason, reasonOfText } from '@kraul/protocol';
import { publicState, STATE } from './schema.ts';
import { expandUrl } from './stored-url.ts';
import type { EndedUrl, UrlEntry, Validators } from './types.ts';

/** A `urls` row joined with its host's key, as the statements select it. */
export interface UrlRow {
  id: number;
  fp: string;
  host_id: number;
  job_id: number;
  state: number;
  score: number;
  depth: number;
  attempts: number;
  not_before: number;
  url: string;
  lease: string | null;
  lease_expires_at: number | null;
  last_fetch_at: number | null;
  next_fetch_at: number | null;
  status: number | null;
  etag: string | null;
  last_modified: string | null;
  error_class: string | null;
  meta: string | null;
  host_key: string;
}

/** Absent columns stay absent in the entry rather than appear as `undefined` or `null`. */
export function toEntry(row: UrlRow, job: string): UrlEntry {
  const entry: UrlEntry = {
    fp: row.fp,
    url: expandUrl(row.url, row.host_key),
    job,
    hostKey: row.host_key,
    state: publicState(row.state),
    score: row.score,
    depth: row.depth,
    attempts: row.attempts,
    notBefore: row.not_before,
  };
  if (row.lease !== null) entry.lease = row.lease;
  if (row.lease_expires_at !== null) entry.leaseExpiresAt = row.lease_expires_at;
  if (row.last_fetch_at !== null) entry.lastFetchAt = row.last_fetch_at;
  if (row.next_fetch_at !== null) entry.nextFetchAt = row.next_fetch_at;
  if (row.status !== null) entry.status = row.status;
  if (row.etag !== null || row.last_modified !== null) {
    const validators: Validators = {};
    if (row.etag !== null) validators.etag = row.etag;
    if (row.last_modified !== null) validators.lastModified = row.last_modified;
    entry.validators = validators;
  }
  if (row.error_class !== null) entry.errorClass = row.error_class;
  if (row.meta !== null) entry.meta = JSON.parse(row.meta) as UrlEntry['meta'];
  return entry;
}

export interface EndDetailRow {
  state: number;
  reason: string | null;
  error_class: string | null;
  message: string | null;
  depth: number;
}

export interface EndedUrlRow {
  id: number;
  job_id: number;
  url: string;
  host_key: string;
  state: number;
  reason: string | null;
  error_class: string | null;
  message: string | null;
  attempts: number;
  depth: number;
  status: number | null;
}

/** The row's reason code; rows written before codes existed have only their text. */
export function reasonOfRow(row: { reason: string | null; error_class: string | null }): OutcomeReason {
  if (row.reason !== null && isOutcomeReason(row.reason)) return row.reason;
  return reasonOfText(row.error_class ?? undefined);
}

/** A failed or dropped URL as `endedUrls` reports it. */
export function toEndedUrl(row: EndedUrlRow, job: string): EndedUrl {
  const ended: EndedUrl = {
    id: row.id,
    job,
    url: expandUrl(row.url, row.host_key),
    state: row.state === STATE.failed ? 'failed' : 'dropped',
    reason: reasonOfRow(row),
    attempts: row.attempts,
    depth: row.depth,
  };
  const message = row.message ?? row.error_class;
  if (message !== null) ended.message = message;
  if (row.status !== null) ended.status = row.status;
  return ended;
}
