import type { Bus, TopicReader } from '@kraul/bus';
import { decodeMessage, type FrontierProgress, type Job, KraulError, type TopicNames } from '@kraul/protocol';
import type { ConsumerLog } from './topic-consumer.ts';

export type JobListener = (job: Job, previous: Job | undefined) => void;

export interface JobRegistryOptions {
  bus: Bus;
  topics: TopicNames;
  /** Names the registry's client in the brokers' logs. */
  groupPrefix: string;
  log: ConsumerLog;
}

/**
 * Every role's view of the crawl jobs: the whole compacted jobs topic (one record per job and
 * the newest progress report of every frontier shard), read from the start and followed by a
 * bus reader: every partition by manual assignment, no consumer group, no commits, so no
 * process leaves a group behind on the broker.
 */
export class JobRegistry {
  readonly #options: JobRegistryOptions;
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Set<JobListener>();
  readonly #progress = new Map<number, FrontierProgress>();
  readonly #consumed = new Map<number, number>();
  #reader: TopicReader | undefined;

  constructor(options: JobRegistryOptions) {
    this.#options = options;
  }

  /** Starts following the topic and resolves once every job that existed at start is loaded. */
  async start(timeoutMs = 30_000): Promise<void> {
    const { bus, topics, groupPrefix, log } = this.#options;
    this.#reader = bus.reader({ topic: topics.jobs, clientId: `${groupPrefix}-jobs`, maxWaitMs: 200 });
    try {
      await this.#reader.start(({ partition, records }) => {
        for (const record of records) {
          this.#consumed.set(partition, record.offset + 1);
          if (record.value.length === 0) {
            if (record.key !== null) this.#jobs.delete(record.key);
            continue;
          }
          try {
            const message = decodeMessage(record.value, 'jobs', record);
            if (message.type === 'frontier.progress') this.#progress.set(message.partition, message);
            else if (message.type === 'job') this.#apply(message);
          } catch (error) {
            log.warn(
              { err: error, topic: record.topic, partition, offset: record.offset },
              'ignoring an invalid job record',
            );
          }
        }
      });
      await this.#awaitLoaded(timeoutMs);
    } catch (error) {
      // Callers rarely close what failed to start: the reader would keep its connections open.
      await this.close();
      throw error;
    }
  }

  async #awaitLoaded(timeoutMs: number): Promise<void> {
    const { bus, topics } = this.#options;
    const admin = bus.admin();
    try {
      // The lag of a group that does not exist: only the log ends are wanted.
      const ends = await admin.lag(`${this.#options.groupPrefix}-jobs-reader`, topics.jobs);
      const deadline = Date.now() + timeoutMs;
      while (ends.some((p) => p.logEnd > (this.#consumed.get(p.partition) ?? 0))) {
        if (Date.now() > deadline) {
          throw new KraulError(
            'jobs.load_timeout',
            `jobs topic ${topics.jobs} not loaded within ${timeoutMs} ms`,
            {
              topic: topics.jobs,
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await admin.close();
    }
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  all(): Job[] {
    return [...this.#jobs.values()];
  }

  /** The newest progress report of every frontier shard (schedule partition) that sent one. */
  progress(): FrontierProgress[] {
    return [...this.#progress.values()].sort((a, b) => a.partition - b.partition);
  }

  /** Calls the listener on every job created or changed from now on. Returns an unsubscribe function. */
  onChange(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the job once it is known (a job may be published just after its first message). */
  async waitFor(id: string, timeoutMs = 10_000): Promise<Job> {
    const known = this.#jobs.get(id);
    if (known) return known;
    return await new Promise<Job>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new KraulError('jobs.unknown', `job ${id} is not on the jobs topic`, { job: id }));
      }, timeoutMs);
      const unsubscribe = this.onChange((job) => {
        if (job.id !== id) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(job);
      });
    });
  }

  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close();
  }

  #apply(job: Job): void {
    const previous = this.#jobs.get(job.id);
    if (previous && previous.updatedAt > job.updatedAt) return;
    this.#jobs.set(job.id, job);
    for (const listener of this.#listeners) listener(job, previous);
  }
}
