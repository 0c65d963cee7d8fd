import type { Job } from '@kraul/protocol';
import type { JobRegistry } from './job-registry.ts';

export interface JobLookupOptions {
  /** How long to wait for a job not yet on the jobs topic. Default: 10,000 ms. */
  timeoutMs?: number;
  /** Called once when a job is given up on (until it appears and is given up on again). */
  onUnknown(id: string, error: unknown): void;
}

/**
 * The job a record names, for a role that handles records of many jobs. A job may be published
 * just after its first records, so a job not yet known is waited for; but once per unknown
 * job, not once per record: a batch of records of a job that never comes would otherwise hold
 * up its partition for a wait each. A job given up on is waited for again once it appears.
 */
export class JobLookup {
  readonly #jobs: Pick<JobRegistry, 'get' | 'waitFor' | 'onChange'>;
  readonly #timeoutMs: number;
  readonly #onUnknown: JobLookupOptions['onUnknown'];
  readonly #unknown = new Set<string>();

  constructor(jobs: Pick<JobRegistry, 'get' | 'waitFor' | 'onChange'>, options: JobLookupOptions) {
    this.#jobs = jobs;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#onUnknown = options.onUnknown;
    jobs.onChange((job) => this.#unknown.delete(job.id));
  }

  /**
   * The job once it is known (at once if it is), or undefined when it did not come in time or
   * was given up on before. Callers on a hot path ask the registry first and wait only for a
   * job it does not know: `jobs.get(id) ?? (await lookup.wait(id))`.
   */
  async wait(id: string): Promise<Job | undefined> {
    const known = this.#jobs.get(id);
    if (known || this.#unknown.has(id)) return known;
    try {
      return await this.#jobs.waitFor(id, this.#timeoutMs);
    } catch (error) {
      if (!this.#unknown.has(id)) {
        this.#unknown.add(id);
        this.#onUnknown(id, error);
      }
      return undefined;
    }
  }
}
