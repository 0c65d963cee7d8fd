import type { Job } from '@kraul/protocol';

/**
 * Most URLs of one host the frontier lets be in flight at once: what the host can be asked
 * for within half a lease at the job's politeness (concurrency per host, one request per
 * delay), so no request waits in a crawler's host queue until its lease runs out and it is
 * sent a second time. The smallest over the active jobs; undefined when there are none.
 */
export function maxInflightPerHost(jobs: readonly Job[], leaseMs: number): number | undefined {
  let cap: number | undefined;
  for (const job of jobs) {
    const { concurrencyPerHost, delayMs } = job.settings.politeness;
    // With no delay a host is bounded by its fetch time, which the frontier does not know: one
    // request per 10 ms is the fastest it assumes.
    const perSlot = Math.max(1, Math.floor(leaseMs / 2 / Math.max(delayMs, 10)));
    const jobCap = concurrencyPerHost * perSlot;
    cap = cap === undefined ? jobCap : Math.min(cap, jobCap);
  }
  return cap;
}
