import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, type JobInput, job as jobSchema, type ScheduleDecision } from '@kraul/protocol';
import { fingerprint } from '@kraul/url';

/** A parsed job (schema defaults filled in) whose scope accepts any host. */
export function makeJob(overrides: Partial<JobInput> = {}): Job {
  return jobSchema.parse({
    type: 'job',
    id: 'job-1',
    seeds: ['https://a.test/'],
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
    settings: { scope: { mode: 'any' }, ...overrides.settings },
  });
}

/** A schedule decision for a URL, with its real fingerprint. */
export function schedule(url: string, fields: Partial<ScheduleDecision> = {}): ScheduleDecision {
  return { op: 'schedule', url, fp: fingerprint(url), score: 0, depth: 1, ...fields };
}

/** A fresh temporary folder; `remove` deletes it with everything in it. */
export function tempDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kraul-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
