import { z } from 'zod';
import { epochMs, fingerprint, jobId, url } from './common.ts';

/** crawler → downstream consumers on the pages topic, keyed by URL fingerprint. */
export const pageDocument = z.object({
  type: z.literal('page.document'),
  job: jobId,
  url,
  fp: fingerprint,
  finalUrl: url,
  status: z.number().int(),
  fetchedAt: epochMs,
  contentType: z.string().max(256).optional(),
  headers: z.record(z.string().max(256), z.string().max(8_192)),
  title: z.string().max(2_048).optional(),
  /** Visible text, when the job's output is 'text'. */
  text: z.string().optional(),
  /** The decoded body as UTF-8 text, when the job's output is 'html'. */
  html: z.string().optional(),
  /** True when `text`/`html` was cut at the job's cap. */
  truncated: z.boolean().optional(),
});
export type PageDocument = z.infer<typeof pageDocument>;
