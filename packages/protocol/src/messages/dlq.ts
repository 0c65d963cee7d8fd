import { z } from 'zod';
import { epochMs } from './common.ts';

/** any consumer → operators: a record that could not be decoded, with where it came from and why. */
export const deadLetter = z.object({
  type: z.literal('dlq.record'),
  topic: z.string(),
  partition: z.number().int().min(0),
  offset: z.number().int().min(0),
  key: z.string().nullable(),
  /** The raw value: UTF-8 text when it decodes as such, else base64. */
  value: z.string(),
  valueEncoding: z.enum(['utf8', 'base64']),
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Path of the offending field, e.g. "links.3.url", when known. */
    field: z.string().optional(),
  }),
  consumerGroup: z.string(),
  failedAt: epochMs,
});
export type DeadLetter = z.infer<typeof deadLetter>;
