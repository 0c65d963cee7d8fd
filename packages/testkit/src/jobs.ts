import { type Job, type JobInput, job as jobSchema } from '@kraul/protocol';

/** A parsed job (schema defaults filled in) whose scope accepts any host: `job-1`, seeded at `https://a.test/`. */
export function testJob(overrides: Partial<JobInput> = {}): Job {
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
