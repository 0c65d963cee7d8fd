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
  /**
   * The host's URLs in this job as the frontier counted them when it leased this one:
   * `done` have ended (fetched, failed or dropped), `left` have not (queued or in flight,
   * this one included). A crawler serves the hosts furthest from done first, so the hosts
   * it found last do not end the crawl alone. Absent from older frontiers.
   */
  hostProgress: z.object({ done: z.number().int().min(0), left: z.number().int().min(0) }).optional(),
});
export type FetchRequest = z.infer<typeof fetchRequest>;
export type HostProgress = NonNullable<FetchRequest['hostProgress']>;
