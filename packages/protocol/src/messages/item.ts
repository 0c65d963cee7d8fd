import { z } from 'zod';
import { epochMs, fingerprint, jobId, url } from './common.ts';

/**
 * crawler → downstream consumers on the items topic, keyed by job id: one thing a page handler
 * pushed. `id` is the same each time the page's handler runs again (a redelivered request), so
 * consumers deduplicate by it.
 */
export const item = z.object({
  type: z.literal('item'),
  job: jobId,
  /** `<fingerprint of the page>-<n>`: the n-th item the handler pushed for the page. */
  id: z.string().regex(/^[0-9a-f]{16}-\d{1,6}$/, 'expected <fingerprint>-<n>'),
  /** The page the item came from. */
  url,
  fp: fingerprint,
  /** The label of the request whose handler pushed it. */
  label: z.string().max(128).optional(),
  data: z.record(z.string(), z.unknown()),
  pushedAt: epochMs,
});
export type Item = z.infer<typeof item>;
