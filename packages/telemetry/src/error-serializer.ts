import { stdSerializers } from 'pino';

/**
 * pino's error serializer plus the two fields every KraulError carries. `code` and
 * `context` are named explicitly so they survive even when an error defines them as
 * non-enumerable (pino's serializer copies enumerable keys only).
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return stdSerializers.errWithCause(err as Error);
  const serialized = stdSerializers.errWithCause(err) as unknown as Record<string, unknown>;
  const { code, context } = err as Error & { code?: unknown; context?: unknown };
  if (code !== undefined) serialized['code'] = code;
  if (context !== undefined) serialized['context'] = context;
  return serialized;
}
