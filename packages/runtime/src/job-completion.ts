import type { Bus, BusAdmin } from '@kraul/bus';
import { type FrontierProgress, groupId, type Job, KraulError, type TopicNames } from '@kraul/protocol';
import type { JobRegistry } from './job-registry.ts';

export interface JobCounts {
  queued: number;
  inflight: number;
  done: number;
  failed: number;
  dropped: number;
}

/** Where a job stands, as far as the cluster's topics tell. */
export interface JobCompletion {
  /**
   * done: nothing queued, leased or in flight in any shard and nothing unhandled on the way;
   * running: work left (or not yet accounted for, see `waitingFor`); paused and stopped as set.
   */
  status: 'done' | 'running' | 'paused' | 'stopped';
  counts: JobCounts;
  /** Why the job is not done yet, in words (empty when done). */
  waitingFor: string;
}

/** What the completion of a job is judged on, read in this order (see `readJobCompletion`). */
export interface CompletionInput {
  job: Job;
  /** Records on the events topic the strategy group has not committed. */
  eventsLag: number;
  /** Per schedule partition, the offset of its next record, read after the events lag. */
  scheduleEnds: readonly number[];
  /** The newest progress report of each frontier shard. */
  reports: readonly FrontierProgress[];
  /** A job with no URL at all counts as done only this long after its creation. */
  emptyGraceMs: number;
  now: number;
}

export function emptyCounts(): JobCounts {
  return { queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0 };
}

/** A job's URL counts over every shard's newest report. */
export function jobCounts(job: string, reports: readonly FrontierProgress[]): JobCounts {
  const total = emptyCounts();
  for (const report of reports) {
    const counts = report.jobs.find((entry) => entry.job === job);
    if (!counts) continue;
    total.queued += counts.queued;
    total.inflight += counts.inflight;
    total.done += counts.done;
    total.failed += counts.failed;
    total.dropped += counts.dropped;
  }
  return total;
}

/**
 * A job is done when the strategy has handled every event (events lag 0: a seed or a page
 * report in transit would add URLs), every schedule partition's owner reported counts that
 * include every schedule record written before the check (its committed offset at report time
 * is at least the log end read after the events lag), and those reports hold nothing queued or
 * in flight for it. Nothing can then add work but a new seed.
 */
export function assessCompletion(input: CompletionInput): JobCompletion {
  const { job } = input;
  const counts = jobCounts(job.id, input.reports);
  if (job.state === 'stopped') return { status: 'stopped', counts, waitingFor: '' };
  if (job.state === 'paused') return { status: 'paused', counts, waitingFor: 'the job to be resumed' };
  const running = (waitingFor: string): JobCompletion => ({ status: 'running', counts, waitingFor });
  if (input.eventsLag > 0) return running(`${input.eventsLag} events the strategy has not handled`);
  const byPartition = new Map(input.reports.map((report) => [report.partition, report]));
  const behind: number[] = [];
  input.scheduleEnds.forEach((end, partition) => {
    const report = byPartition.get(partition);
    // -1 (nothing committed yet) covers a partition that never had a record.
    if (!report || Math.max(report.scheduleOffset, 0) < end) behind.push(partition);
  });
  if (behind.length > 0) {
    return running(
      `a progress report of frontier shard${behind.length === 1 ? '' : 's'} ${behind.slice(0, 8).join(', ')}` +
        `${behind.length > 8 ? ` (+${behind.length - 8})` : ''} covering every schedule record`,
    );
  }
  if (counts.queued + counts.inflight > 0)
    return running(`${counts.queued} queued, ${counts.inflight} in flight`);
  const recorded = counts.done + counts.failed + counts.dropped;
  if (recorded === 0 && input.now - job.createdAt < input.emptyGraceMs) return running('its first URL');
  return { status: 'done', counts, waitingFor: '' };
}

async function totalLag(admin: BusAdmin, group: string, topic: string): Promise<number> {
  return (await admin.lag(group, topic)).reduce((sum, partition) => sum + partition.lag, 0);
}

export interface CompletionReader {
  bus: Bus;
  jobs: JobRegistry;
  topics: TopicNames;
  prefix: string;
  /** Default: 30,000 ms. */
  emptyGraceMs?: number;
}

/** Reads the lags and the progress reports, in the order `assessCompletion` relies on. */
export async function readJobCompletion(reader: CompletionReader, job: Job): Promise<JobCompletion> {
  const admin = reader.bus.admin();
  try {
    const eventsLag = await totalLag(admin, groupId(reader.prefix, 'strategy'), reader.topics.events);
    const schedule = await admin.lag(groupId(reader.prefix, 'frontier'), reader.topics.schedule);
    const scheduleEnds = schedule.map((partition) => partition.logEnd);
    return assessCompletion({
      job,
      eventsLag,
      scheduleEnds,
      reports: reader.jobs.progress(),
      emptyGraceMs: reader.emptyGraceMs ?? 30_000,
      now: Date.now(),
    });
  } finally {
    await admin.close();
  }
}

export interface AwaitJobOptions extends CompletionReader {
  id: string;
  /** Give up after this long (KraulError 'jobs.wait_timeout'). Default: no limit. */
  timeoutMs?: number;
  /** Default: 500 ms. */
  pollMs?: number;
  /** Called after every check that is not the last. */
  onProgress?: (completion: JobCompletion) => void;
  /** Resolves early (with the last completion) when this returns true, e.g. on Ctrl-C. */
  cancelled?: () => boolean;
}

/**
 * Resolves once the job is done or stopped: the one completion check of `kraul job wait`
 * and `kraul run`. A job that does not exist yet is waited for within the timeout.
 */
export async function awaitJob(options: AwaitJobOptions): Promise<JobCompletion> {
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 500;
  let last: JobCompletion | undefined;
  for (;;) {
    if (options.cancelled?.())
      return last ?? { status: 'running', counts: emptyCounts(), waitingFor: 'cancelled' };
    const job = options.jobs.get(options.id);
    if (job) {
      last = await readJobCompletion(options, job);
      if (last.status === 'done' || last.status === 'stopped') return last;
      options.onProgress?.(last);
    }
    if (options.cancelled?.())
      return last ?? { status: 'running', counts: emptyCounts(), waitingFor: 'cancelled' };
    if (Date.now() >= deadline) {
      throw new KraulError(
        'jobs.wait_timeout',
        job
          ? `job ${options.id} not done within ${options.timeoutMs} ms: waiting for ${last?.waitingFor}`
          : `job ${options.id} is not on ${options.topics.jobs}`,
        { job: options.id, ...(last ? { counts: last.counts } : {}) },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
