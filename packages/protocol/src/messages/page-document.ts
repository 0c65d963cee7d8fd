import { z } from 'zod';
import { epochMs, fingerprint, jobId, url } from './common.ts';

/** The page's robots directives, from its `<meta name="robots">` tags and `X-Robots-Tag` headers. */
export const pageRobots = z
  .object({
    noindex: z.boolean().describe('The page asks not to be indexed (noindex, or none)'),
    nofollow: z.boolean().describe('The page asks that its links not be followed (nofollow, or none)'),
    noarchive: z.boolean().describe('No cached copy may be kept or shown (noarchive, nocache)'),
    nosnippet: z.boolean().describe('No text snippet or preview may be shown (nosnippet)'),
    noimageindex: z.boolean().describe("The page's images may not be indexed (noimageindex)"),
    notranslate: z.boolean().describe('No translation may be offered (notranslate)'),
  })
  .describe(
    'Robots directives of the page: <meta name="robots"> and <meta name="<product token>">, and X-Robots-Tag headers addressed to every crawler or to its product token; a directive any of them sets is true',
  );
export type PageRobots = z.infer<typeof pageRobots>;

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
  /** Absent only in documents written before kraul reported it. */
  robots: pageRobots.optional(),
});
export type PageDocument = z.infer<typeof pageDocument>;
