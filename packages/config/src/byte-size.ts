import { z } from 'zod';
import { settingKinds } from './schema-inspect.ts';

// Decimal units are powers of 1000 and binary (IEC) ones powers of 1024, as their names say.
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i;

/** `10MB`, `512KiB`, `1.5GiB` or a plain number of bytes → bytes; undefined if unreadable. */
export function parseByteSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  const match = BYTE_SIZE.exec(input.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_BYTES[(match[2] ?? 'b').toLowerCase()]!);
}

/** The shortest exact form, binary units first: 10485760 → `10MiB`, 5000000 → `5MB`. */
export function formatByteSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB', 'TB', 'GB', 'MB', 'KB'] as const) {
    const size = UNIT_BYTES[unit.toLowerCase()]!;
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** A setting holding a size, written `10MB`, `512KiB` or as bytes; parsed to bytes. */
export function byteSize() {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx) => {
    const bytes = parseByteSize(input);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a size such as 512KiB, 10MB or a number of bytes' });
      return z.NEVER;
    }
    return bytes;
  });
  settingKinds.add(schema, { kind: 'byteSize' });
  return schema;
}
