import { z } from 'zod';
import { attempt, depth, fingerprint, jobId, meta, score, url, validators } from './common.ts';

/** frontier → crawlers on the todo topic, keyed by the URL's host key. */
export const fetchRequest = z.object({
  type: z.literal('fetch.request'),
  job: jobId,
  url,
  fp: fingerprint,
  depth,
  score,
  attempt,
  /** Frontier lease token: a report for an older lease of the same URL is recognised as stale. */
  lease: z.string().max(64),
  validators: validators.optional(),
  meta: meta.optional(),
});
export type FetchRequest = z.infer<typeof fetchRequest>;
