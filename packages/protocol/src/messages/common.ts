import { z } from 'zod';

/** Longest URL a message may carry; the url package normalises to a shorter cap by default. */
export const MAX_URL_CHARS = 8_192;

export const url = z.string().min(1).max(MAX_URL_CHARS);
/** 16 lower-case hex characters: the url package's 64-bit fingerprint. */
export const fingerprint = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lower-case hex characters');
export const jobId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "expected letters, digits, '.', '_' or '-' (at most 128)");
export const depth = z.number().int().min(0).max(10_000);
export const score = z.number().finite();
export const attempt = z.number().int().min(1).max(1_000);
export const epochMs = z.number().int().min(0);
export const durationMs = z.number().finite().min(0);

/** HTTP cache validators kept from a response and sent back as a conditional GET. */
export const validators = z.object({
  etag: z.string().max(1_024).optional(),
  lastModified: z.string().max(256).optional(),
});

/** Why a fetch failed. `http_status` covers responses whose status is itself the failure. */
export const ERROR_CLASSES = [
  'dns',
  'connect',
  'timeout',
  'tls',
  'http_status',
  'too_large',
  'robots',
  'unsafe_address',
  'unsupported_scheme',
  'unsupported_type',
  'redirect_loop',
  'too_many_redirects',
  'out_of_scope',
  'protocol',
  'aborted',
  /** A user page handler threw: the message carries its error and the top of its stack. */
  'handler',
  /** A user page handler ran past its time limit and was cut off. */
  'handler_timeout',
] as const;
export const errorClass = z.enum(ERROR_CLASSES);
export type ErrorClass = z.infer<typeof errorClass>;

/** Free-form key/value data a strategy attaches to a URL and gets back with its page. */
export const meta = z.record(z.string().max(128), z.union([z.string().max(2_048), z.number(), z.boolean()]));
