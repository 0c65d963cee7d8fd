import { COUNTER_COLUMNS, type StateCode } from './schema.ts';

interface HostDelta {
  jobId: number;
  counts: number[];
  /** The host's new place in the round-robin, 0 when it was not leased from. */
  turn: number;
}

/**
 * Counter changes of a batch of state moves, summed per host and per job, so a lease or a
 * promotion of many URLs writes each host row and each job row once.
 */
export class CounterDeltas {
  readonly #hosts = new Map<number, HostDelta>();

  #host(hostId: number, jobId: number): HostDelta {
    let delta = this.#hosts.get(hostId);
    if (delta === undefined) {
      delta = { jobId, counts: COUNTER_COLUMNS.map(() => 0), turn: 0 };
      this.#hosts.set(hostId, delta);
    }
    return delta;
  }

  /** `count` URLs of a host moved from one state to another; `undefined` = not stored before/after. */
  move(
    hostId: number,
    jobId: number,
    from: StateCode | undefined,
    to: StateCode | undefined,
    count = 1,
  ): void {
    if (from === to || count === 0) return;
    const delta = this.#host(hostId, jobId);
    if (from !== undefined) delta.counts[from - 1]! -= count;
    if (to !== undefined) delta.counts[to - 1]! += count;
  }

  leased(hostId: number, jobId: number, turn: number): void {
    this.#host(hostId, jobId).turn = turn;
  }

  /** Hands each host's and each job's summed changes to the writers, then forgets them. */
  flush(
    writeHost: (hostId: number, counts: readonly number[], turn: number) => void,
    writeJob: (jobId: number, counts: readonly number[]) => void,
  ): void {
    const jobs = new Map<number, number[]>();
    for (const [hostId, delta] of this.#hosts) {
      writeHost(hostId, delta.counts, delta.turn);
      const job = jobs.get(delta.jobId);
      if (job === undefined) jobs.set(delta.jobId, [...delta.counts]);
      else {
        for (const [i, count] of delta.counts.entries()) job[i]! += count;
      }
    }
    for (const [jobId, counts] of jobs) {
      if (counts.some((count) => count !== 0)) writeJob(jobId, counts);
    }
    this.#hosts.clear();
  }
}
