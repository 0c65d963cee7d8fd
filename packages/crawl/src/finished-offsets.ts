/** Finished offsets kept per partition before they are pruned below the lowest unfinished one. */
const PRUNE_AT = 1_024;

/**
 * Requests of the todo partitions that this worker finished out of order, kept across a
 * rebalance. A partition's committed offset stops at its lowest unfinished request, so the
 * requests after it that were already reported come again with the partition; Kafka's eager
 * rebalance revokes every partition of every member, also those it gives straight back. A
 * worker that gets a partition back skips what it finished itself instead of fetching it twice.
 */
export class FinishedOffsets {
  /** Received and not finished, per partition. */
  readonly #open = new Map<number, Set<number>>();
  /** Finished, per partition, while something before them may still be open. */
  readonly #finished = new Map<number, Set<number>>();
  /** Finished in an earlier assignment and above that assignment's lowest unfinished offset. */
  readonly #carried = new Map<number, Set<number>>();
  /** Partitions that have had a delivery since they were assigned. */
  readonly #delivered = new Set<number>();

  /** A partition was assigned: its deliveries start at the committed offset. */
  assigned(partition: number): void {
    this.#delivered.delete(partition);
  }

  /**
   * Whether a delivered request was already finished by this worker in an earlier assignment.
   * Otherwise it is recorded as open.
   */
  alreadyFinished(partition: number, offset: number): boolean {
    const carried = this.#carried.get(partition);
    if (carried && !this.#delivered.has(partition)) {
      // The first delivery is the committed offset: what lies below it is done for good.
      for (const old of carried) if (old < offset) carried.delete(old);
    }
    this.#delivered.add(partition);
    let open = this.#open.get(partition);
    if (carried?.delete(offset)) {
      if (carried.size === 0) this.#carried.delete(partition);
      // Skipped, so complete at once, but still beyond the commit while an earlier request is
      // open: it goes on to the next owner with this worker's handover, or it would be fetched again.
      if (open && open.size > 0) this.#rememberFinished(partition, offset, open);
      return true;
    }
    if (!open) {
      open = new Set();
      this.#open.set(partition, open);
    }
    open.add(offset);
    return false;
  }

  finish(partition: number, offset: number): void {
    const open = this.#open.get(partition);
    if (!open?.delete(offset)) return;
    if (open.size === 0) {
      // Nothing before anything finished is open: all of it is committable.
      this.#finished.delete(partition);
      return;
    }
    this.#rememberFinished(partition, offset, open);
  }

  #rememberFinished(partition: number, offset: number, open: Set<number>): void {
    let finished = this.#finished.get(partition);
    if (!finished) {
      finished = new Set();
      this.#finished.set(partition, finished);
    }
    finished.add(offset);
    if (finished.size >= PRUNE_AT) this.#prune(partition, finished, open);
  }

  /**
   * Offsets of the partition finished beyond its lowest unfinished request (what its commit
   * does not cover yet): handed to the partition's next owner with the commit, so it skips them.
   */
  finishedBeyondCommit(partition: number): number[] {
    return [...(this.#finished.get(partition) ?? []), ...(this.#carried.get(partition) ?? [])].sort(
      (a, b) => a - b,
    );
  }

  /** Offsets another worker finished beyond the commit it handed over: skipped when delivered. */
  adopt(partition: number, offsets: readonly number[]): void {
    if (offsets.length === 0) return;
    const carried = this.#carried.get(partition) ?? new Set<number>();
    for (const offset of offsets) carried.add(offset);
    this.#carried.set(partition, carried);
  }

  /** The partition is given up: keep what was finished beyond its lowest unfinished request. */
  revoked(partition: number): void {
    const open = this.#open.get(partition);
    const finished = this.#finished.get(partition);
    this.#open.delete(partition);
    this.#finished.delete(partition);
    this.#delivered.delete(partition);
    if (!open || open.size === 0 || !finished) return;
    this.#prune(partition, finished, open);
    if (finished.size === 0) return;
    const carried = this.#carried.get(partition) ?? new Set<number>();
    for (const offset of finished) carried.add(offset);
    this.#carried.set(partition, carried);
  }

  #prune(partition: number, finished: Set<number>, open: Set<number>): void {
    let lowestOpen = Number.POSITIVE_INFINITY;
    for (const offset of open) lowestOpen = Math.min(lowestOpen, offset);
    for (const offset of finished) if (offset < lowestOpen) finished.delete(offset);
    if (finished.size === 0) this.#finished.delete(partition);
  }
}
