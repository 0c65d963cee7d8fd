import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduleDecision } from '@kraul/protocol';
import { fingerprint } from '@kraul/url';

export { testJob as makeJob } from '@kraul/testkit/jobs';

/** A schedule decision for a URL, with its real fingerprint. */
export function schedule(url: string, fields: Partial<ScheduleDecision> = {}): ScheduleDecision {
  return { op: 'schedule', url, fp: fingerprint(url), score: 0, depth: 1, ...fields };
}

/** A fresh temporary folder; `remove` deletes it with everything in it. */
export function tempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kraul-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Polls `probe` until it returns a value other than undefined (or false), and returns it.
 * Rejects with `what` after `timeoutMs`.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  pollMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
