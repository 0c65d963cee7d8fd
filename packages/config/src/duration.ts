import { z } from 'zod';
import { settingKinds } from './schema-inspect.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;

/** `500ms`, `10s`, `1.5m`, `1h`, `2d` or a plain number of ms → ms; undefined if unreadable. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!);
}

/** The shortest exact form: 10000 → `10s`, 300000 → `5m`, 1500 → `1500ms`. */
export function formatDurationSetting(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A setting holding a duration, written `500ms`, `10s`, `5m`, `1h` or as ms; parsed to ms. */
export function duration() {
  const schema = z.union([z.number(), z.string()]).transform((input, ctx) => {
    const ms = parseDuration(input);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 10s, 5m or 1h' });
      return z.NEVER;
    }
    return ms;
  });
  settingKinds.add(schema, { kind: 'duration' });
  return schema;
}
