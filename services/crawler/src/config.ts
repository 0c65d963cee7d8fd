import { byteSize, duration, kafkaConnectionSchema, telemetrySchema } from '@kraul/config';
import { z } from 'zod';

/** The crawler service's settings: `KRAUL_*` environment variables or `kraul crawler` flags. */
export const crawlerConfigSchema = z.object({
  kafka: kafkaConnectionSchema.prefault({}),
  ...telemetrySchema.shape,
  concurrency: z.int().min(1).max(10_000).default(32).describe('Fetches at once over all hosts'),
  partitionBuffer: z
    .int()
    .min(1)
    .default(64)
    .describe('Fetch requests held per assigned partition before the partition is paused'),
  userAgent: z
    .string()
    .min(1)
    .default('kraul/0.1 (+https://github.com/kraul-crawler/kraul)')
    .describe('User-Agent header; name your crawler and a contact URL'),
  robotsToken: z
    .string()
    .min(1)
    .default('kraul')
    .describe('Product token matched in robots.txt groups, robots meta names and X-Robots-Tag'),
  connectTimeout: duration().default(10_000).describe('Time to open a TCP/TLS connection'),
  headersTimeout: duration().default(30_000).describe('Time to receive response headers'),
  bodyTimeout: duration().default(30_000).describe('Longest silence between two body chunks'),
  totalTimeout: duration().default(60_000).describe('Time for a whole fetch, redirects and body included'),
  maxBodyBytes: byteSize()
    .default(10 * 1024 * 1024)
    .describe('Body bytes on the wire per page'),
  maxDecodedBytes: byteSize()
    .default(20 * 1024 * 1024)
    .describe('Body bytes after decompression per page'),
  maxRedirects: z.int().min(0).max(30).default(10).describe('Redirects followed per fetch'),
  revokeGrace: duration().default(15_000).describe('Time running fetches get to finish when partitions move'),
  sessionTimeout: duration()
    .default(2_500)
    .describe(
      "Consumer group session timeout: how soon a dead member's partitions move (the brokers bound it)",
    ),
  handlerThreads: z
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe('Threads per crawl module that run its page handlers (jobs made from a crawl module)'),
  warcDir: z
    .string()
    .min(1)
    .optional()
    .describe('Write every fetched page to WARC files in this folder; unset means no WARC output'),
  warcFileSize: byteSize()
    .default(1024 ** 3)
    .describe('Size at which a WARC file is closed and the next begun'),
});

export type CrawlerConfig = z.output<typeof crawlerConfigSchema>;
