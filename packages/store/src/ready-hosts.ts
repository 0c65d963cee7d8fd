import type { HostProgress } from '@kraul/protocol';

/** A host with due URLs, as the round-robin sees it. */
export interface ReadyHost {
  host_id: number;
  job_id: number;
  lease_turn: number;
  /** URLs of the host in flight before this lease. */
  inflight: number;
}

/** A ready host with its other counters before this lease, for its progress. */
export interface ReadyHostCounts extends ReadyHost {
  ready: number;
  waiting: number;
  done: number;
  failed: number;
  dropped: number;
}

/** Where a host stands: its URLs that ended, and those that have not. */
export function progressOf(host: ReadyHostCounts): HostProgress {
  return { done: host.done + host.failed + host.dropped, left: host.ready + host.waiting + host.inflight };
}

/** Reads up to `count` ready hosts of a job whose turn comes after `afterTurn`, in turn order. */
export type ReadyHostPage<H extends ReadyHost = ReadyHost> = (
  jobId: number,
  afterTurn: number,
  count: number,
) => H[];

interface JobCursor<H extends ReadyHost> {
  jobId: number;
  page: H[];
  at: number;
  lastTurn: number;
  exhausted: boolean;
}

/**
 * The ready hosts of several jobs merged into one round-robin (the host served longest ago
 * first), read a page at a time: a lease that needs 100 hosts reads about 100 host rows,
 * however many hosts are waiting. Turns are unique per store, so a page ends exactly where
 * the next begins. The pages must not change while the queue is read.
 */
export class ReadyHostQueue<H extends ReadyHost = ReadyHost> {
  readonly #cursors: JobCursor<H>[];
  readonly #readPage: ReadyHostPage<H>;
  readonly #pageSize: number;

  constructor(jobIds: readonly number[], pageSize: number, readPage: ReadyHostPage<H>) {
    this.#readPage = readPage;
    this.#pageSize = Math.max(1, pageSize);
    this.#cursors = jobIds.map((jobId) => ({ jobId, page: [], at: 0, lastTurn: -1, exhausted: false }));
  }

  next(): H | undefined {
    let best: JobCursor<H> | undefined;
    for (const cursor of this.#cursors) {
      const head = this.#head(cursor);
      if (head !== undefined && (best === undefined || head.lease_turn < this.#head(best)!.lease_turn)) {
        best = cursor;
      }
    }
    if (best === undefined) return undefined;
    return best.page[best.at++];
  }

  #head(cursor: JobCursor<H>): H | undefined {
    if (cursor.at === cursor.page.length && !cursor.exhausted) {
      cursor.page = this.#readPage(cursor.jobId, cursor.lastTurn, this.#pageSize);
      cursor.at = 0;
      cursor.exhausted = cursor.page.length < this.#pageSize;
      const last = cursor.page[cursor.page.length - 1];
      if (last !== undefined) cursor.lastTurn = last.lease_turn;
    }
    return cursor.page[cursor.at];
  }
}
