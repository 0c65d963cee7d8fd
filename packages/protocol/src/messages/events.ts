import { z } from 'zod';
import {
  attempt,
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

/** CLI (or any producer) → strategy: URLs that start or extend a crawl. */
export const crawlSeeded = z.object({
  type: z.literal('crawl.seeded'),
  job: jobId,
  urls: z
    .array(
      z.object({
        url,
        score: score.optional(),
        meta: meta.optional(),
      }),
    )
    .min(1)
    .max(100_000),
  /** Where the seeds came from: 'cli', 'sitemap', 'api'... */
  source: z.string().max(64).default('api'),
});
export type CrawlSeeded = z.infer<typeof crawlSeeded>;

export const pageLink = z.object({
  url,
  /** Anchor text, whitespace-collapsed and capped by the crawler. */
  text: z.string().max(1_024).optional(),
  rel: z.array(z.string().max(64)).max(16).optional(),
  nofollow: z.boolean().optional(),
  /** Score a page handler gave the link when it enqueued it; the strategy's score otherwise. */
  score: score.optional(),
  /** Data a page handler attached to the link (its label, user data); comes back with the link's page. */
  meta: meta.optional(),
});
export type PageLink = z.infer<typeof pageLink>;

const fetchedIdentity = {
  job: jobId,
  url,
  fp: fingerprint,
  depth,
  attempt,
  lease: z.string().max(64),
  meta: meta.optional(),
};

/**
 * A host's robots.txt as the crawler obeys it, reported once per fetch of the file so that
 * whoever schedules can drop disallowed links before they cost a fetch request. Only a file
 * that was fetched, and small enough to be reported whole, is reported.
 */
export const robotsReport = z.object({
  /** The robots.txt URL (scheme, host and port of the origin it governs). */
  url,
  /** The product token the crawler matches the file's groups against. */
  token: z.string().min(1).max(128),
  text: z.string().max(65_536),
  /** When the crawler fetches the file again; the rules are not applied after this. */
  expiresAt: epochMs,
});
export type RobotsReport = z.infer<typeof robotsReport>;

/** crawler → strategy: one record per fetched page, all its links inside. */
export const pageFetched = z.object({
  type: z.literal('page.fetched'),
  ...fetchedIdentity,
  status: z.number().int().min(100).max(999),
  finalUrl: url,
  redirects: z.array(z.object({ url, status: z.number().int() })).max(64),
  fetchedAt: epochMs,
  timings: z.object({ ttfbMs: durationMs, totalMs: durationMs, politenessWaitMs: durationMs.optional() }),
  bytes: z.number().int().min(0),
  contentType: z.string().max(256).optional(),
  /** True for a 304 answer to a conditional GET. */
  notModified: z.boolean().optional(),
  validators: validators.optional(),
  /** Page-level robots directives from <meta name=robots> and X-Robots-Tag (nofollow: its links are not followed). */
  noindex: z.boolean().optional(),
  nofollow: z.boolean().optional(),
  canonical: url.optional(),
  links: z.array(pageLink).max(50_000),
  /** Sitemap URLs named by the host's robots.txt, reported with the first page of a host. */
  sitemaps: z.array(url).max(1_000).optional(),
  /** The host's robots.txt, reported with the first page after the crawler fetched it. */
  robots: robotsReport.optional(),
});
export type PageFetched = z.infer<typeof pageFetched>;

/** crawler → strategy: a fetch that produced no page. */
export const fetchFailed = z.object({
  type: z.literal('fetch.failed'),
  ...fetchedIdentity,
  errorClass,
  retryable: z.boolean(),
  message: z.string().max(2_048),
  status: z.number().int().min(100).max(999).optional(),
  retryAfterMs: durationMs.optional(),
  failedAt: epochMs,
});
export type FetchFailed = z.infer<typeof fetchFailed>;
