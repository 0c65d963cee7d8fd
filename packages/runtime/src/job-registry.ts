import { randomUUID } from 'node:crypto';
import type { Bus, GroupConsumer } from '@kraul/bus';
import { decodeMessage, type FrontierProgress, type Job, KraulError, type TopicNames } from '@kraul/protocol';
import type { ConsumerLog } from './topic-consumer.ts';

export type JobListener = (job: Job, previous: Job | undefined) => void;

export interface JobRegistryOptions {
  bus: Bus;
  topics: TopicNames;
  /** Prefix of the registry's private group id. */
  groupPrefix: string;
  log: ConsumerLog;
}

/**
 * Every role's view of the crawl jobs: the whole compacted jobs topic, read from the start
 * and followed. Each registry is alone in a group of its own, so it gets every partition
 * and never commits (it always rereads the compacted topic, which holds one record per job
 * and the newest progress report of every frontier shard). The group is deleted on close, so
 * no process leaves one behind on the broker.
 */
export class JobRegistry {
  readonly #options: JobRegistryOptions;
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Set<JobListener>();
  readonly #progress = new Map<number, FrontierProgress>();
  readonly #consumed = new Map<number, number>();
  #consumer: GroupConsumer | undefined;
  #groupId: string | undefined;

  constructor(options: JobRegistryOptions) {
    this.#options = options;
  }

  /** Starts following the topic and resolves once every job that existed at start is loaded. */
  async start(timeoutMs = 30_000): Promise<void> {
    const { bus, topics, groupPrefix, log } = this.#options;
    const groupId = `${groupPrefix}-jobs-${randomUUID()}`;
    this.#groupId = groupId;
    this.#consumer = bus.consumer({ groupId, topics: [topics.jobs], startFrom: 'earliest', maxWaitMs: 200 });
    await this.#consumer.start({
      onBatch: ({ partition, records }) => {
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
      },
    });
    try {
      await this.#awaitLoaded(groupId, timeoutMs);
    } catch (error) {
      // Callers rarely close what failed to start: the group member would keep its connections open.
      await this.close();
      throw error;
    }
  }

  async #awaitLoaded(groupId: string, timeoutMs: number): Promise<void> {
    const { bus, topics } = this.#options;
    const admin = bus.admin();
    try {
      const ends = await admin.lag(groupId, topics.jobs);
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
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (!consumer) return;
    await consumer.close();
    if (this.#groupId === undefined) return;
    let admin: ReturnType<Bus['admin']> | undefined;
    try {
      admin = this.#options.bus.admin();
      await admin.deleteGroup(this.#groupId);
    } catch (error) {
      // Housekeeping only: the broker drops an empty group without offsets on its own in time.
      this.#options.log.warn({ err: error, groupId: this.#groupId }, 'job registry group not deleted');
    } finally {
      await admin?.close();
    }
  }

  #apply(job: Job): void {
    const previous = this.#jobs.get(job.id);
    if (previous && previous.updatedAt > job.updatedAt) return;
    this.#jobs.set(job.id, job);
    for (const listener of this.#listeners) listener(job, previous);
  }
}
