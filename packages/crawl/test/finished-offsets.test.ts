import { describe, expect, it } from 'vitest';
import { FinishedOffsets } from '../src/finished-offsets.ts';

/** Delivers offsets of one partition and returns those the worker would skip. */
function deliver(offsets: FinishedOffsets, partition: number, range: readonly number[]): number[] {
  return range.filter((offset) => offsets.alreadyFinished(partition, offset));
}

describe('FinishedOffsets', () => {
  it('skips, when the partition comes back, what was finished after its lowest unfinished request', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(0);
    expect(deliver(offsets, 0, [0, 1, 2, 3, 4, 5])).toEqual([]);
    // 0 and 1 in order, then 3 and 5 while 2 and 4 were still open.
    for (const offset of [0, 1, 3, 5]) offsets.finish(0, offset);
    offsets.revoked(0);

    offsets.assigned(0);
    // The committed offset was 2: delivery starts there.
    expect(deliver(offsets, 0, [2, 3, 4, 5, 6])).toEqual([3, 5]);
    // 2, 4 and 6 are still open, so the commit stays at 2: skipped again when it comes back.
    offsets.revoked(0);
    offsets.assigned(0);
    expect(deliver(offsets, 0, [2, 3, 4, 5, 6])).toEqual([3, 5]);
    // Once what lay before them is finished, they are behind the commit and never come again.
    for (const offset of [2, 4, 6]) offsets.finish(0, offset);
    expect(offsets.finishedBeyondCommit(0).filter((offset) => offset > 6)).toEqual([]);
  });

  it('hands over what it skipped for an earlier owner while the commit is still behind it', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(0);
    // The previous owner finished 11 and 12 beyond its commit at 10.
    offsets.adopt(0, [11, 12]);
    expect(deliver(offsets, 0, [10, 11, 12, 13])).toEqual([11, 12]);
    // 10 and 13 are still running when the partition moves on: the next owner must skip 11 and 12 too.
    expect(offsets.finishedBeyondCommit(0)).toEqual([11, 12]);
    offsets.finish(0, 13);
    expect(offsets.finishedBeyondCommit(0)).toEqual([11, 12, 13]);
  });

  it('carries nothing when everything received was finished', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(1);
    deliver(offsets, 1, [10, 11, 12]);
    for (const offset of [12, 10, 11]) offsets.finish(1, offset);
    offsets.revoked(1);
    offsets.assigned(1);
    expect(deliver(offsets, 1, [10, 11, 12, 13])).toEqual([]);
  });

  it('forgets carried offsets below where the partition restarts (another member went further)', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(2);
    deliver(offsets, 2, [0, 1, 2, 3]);
    offsets.finish(2, 1);
    offsets.finish(2, 3);
    offsets.revoked(2);
    offsets.assigned(2);
    // Committed up to 2 by someone else meanwhile: 1 is gone for good, 3 is still ours.
    expect(deliver(offsets, 2, [2, 3, 4])).toEqual([3]);
  });

  it('keeps partitions apart', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(0);
    offsets.assigned(1);
    deliver(offsets, 0, [0, 1]);
    deliver(offsets, 1, [0, 1]);
    offsets.finish(0, 1);
    offsets.finish(1, 0);
    offsets.revoked(0);
    offsets.revoked(1);
    offsets.assigned(0);
    offsets.assigned(1);
    expect(deliver(offsets, 0, [0, 1])).toEqual([1]);
    expect(deliver(offsets, 1, [1])).toEqual([]);
  });

  it('stays small while a partition is held: finished offsets below the lowest open one are pruned', () => {
    const offsets = new FinishedOffsets();
    offsets.assigned(0);
    // One request stays open at the front for a long time while thousands finish behind it.
    deliver(offsets, 0, [0]);
    for (let offset = 1; offset <= 5_000; offset++) {
      deliver(offsets, 0, [offset]);
      offsets.finish(0, offset);
    }
    offsets.finish(0, 0);
    offsets.revoked(0);
    offsets.assigned(0);
    expect(deliver(offsets, 0, [5_001])).toEqual([]);
  });
});
