import { z } from 'zod';
import { epochMs, jobId } from './common.ts';

const count = z.number().int().min(0);

/** URLs of one job in one frontier shard, per state. */
export const shardJobCounts = z.object({
  job: jobId,
  queued: count,
  inflight: count,
  done: count,
  failed: count,
  dropped: count,
});
export type ShardJobCounts = z.infer<typeof shardJobCounts>;

/**
 * frontier → `kraul job wait`, `job list`, `status`, `kraul run`: what one shard (schedule
 * partition) holds per job, on the compacted jobs topic keyed `progress/<partition>`, so the
 * topic keeps the newest report of every shard. A job absent from `jobs` has no URL there.
 */
export const frontierProgress = z.object({
  type: z.literal('frontier.progress'),
  partition: z.number().int().min(0),
  /**
   * The frontier group's committed offset on this schedule partition, read before the counts:
   * the counts include every schedule record below it. -1 when nothing was committed yet.
   */
  scheduleOffset: z.number().int().min(-1),
  /** The frontier process that owns the shard, for operators. */
  owner: z.string().max(256),
  at: epochMs,
  jobs: z.array(shardJobCounts).max(100_000),
});
export type FrontierProgress = z.infer<typeof frontierProgress>;

/** The key of a shard's progress record on the jobs topic (a job id never holds a '/'). */
export function progressKey(partition: number): string {
  return `progress/${partition}`;
}
