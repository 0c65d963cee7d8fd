import { describe, expect, it } from 'vitest';
import { BusError } from '../src/errors.ts';
import { OffsetTracker } from '../src/offset-tracker.ts';
import type { TopicPartition } from '../src/types.ts';

const tp: TopicPartition = { topic: 'kraul.todo', partition: 3 };

/** A small seeded generator (mulberry32): a failing case can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

/** The obvious, slow definition the tracker must agree with. */
class NaiveTracker {
  private readonly inFlight = new Set<number>();
  private first: number | undefined;
  private last = -1;
  private committed = -1;

  track(offset: number): void {
    this.first ??= offset;
    if (this.committed === -1) this.committed = offset;
    this.inFlight.add(offset);
    this.last = offset;
  }

  complete(offset: number): boolean {
    return this.inFlight.delete(offset);
  }

  committable(): number | undefined {
    if (this.first === undefined) return undefined;
    const position = this.inFlight.size > 0 ? Math.min(...this.inFlight) : this.last + 1;
    return position > this.committed ? position : undefined;
  }

  markCommitted(offset: number): void {
    if (this.first !== undefined && offset > this.committed) this.committed = offset;
  }

  pending(): number {
    return this.inFlight.size;
  }
}

describe('OffsetTracker', () => {
  it('commits past everything finished in order', () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2]) tracker.track(tp, offset);
    expect(tracker.committable(tp)).toBeUndefined();
    tracker.complete(tp, 0);
    tracker.complete(tp, 1);
    expect(tracker.committable(tp)).toBe(2);
    tracker.complete(tp, 2);
    expect(tracker.committable(tp)).toBe(3);
    expect(tracker.pending(tp)).toBe(0);
  });

  it('holds the commit at the lowest unfinished offset when work finishes out of order', () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2, 3, 4]) tracker.track(tp, offset);
    for (const offset of [4, 1, 3]) tracker.complete(tp, offset);
    expect(tracker.committable(tp)).toBeUndefined();
    tracker.complete(tp, 0);
    expect(tracker.committable(tp)).toBe(2);
    expect(tracker.pending(tp)).toBe(1);
    tracker.complete(tp, 2);
    expect(tracker.committable(tp)).toBe(5);
  });

  it('says nothing new until the position moves past the last commit', () => {
    const tracker = new OffsetTracker();
    for (const offset of [10, 11, 12]) tracker.track(tp, offset);
    tracker.complete(tp, 10);
    expect(tracker.committable(tp)).toBe(11);
    tracker.markCommitted(tp, 11);
    expect(tracker.committable(tp)).toBeUndefined();
    // An older commit acknowledged late never moves the mark back.
    tracker.markCommitted(tp, 10);
    expect(tracker.committable(tp)).toBeUndefined();
    tracker.complete(tp, 11);
    expect(tracker.committable(tp)).toBe(12);
  });

  it('skips offsets that were never handed out (compacted or transaction markers)', () => {
    const tracker = new OffsetTracker();
    for (const offset of [5, 7, 10]) tracker.track(tp, offset);
    tracker.complete(tp, 5);
    expect(tracker.committable(tp)).toBe(7);
    tracker.complete(tp, 10);
    tracker.complete(tp, 7);
    expect(tracker.committable(tp)).toBe(11);
  });

  it('ignores completions of offsets that are not in flight', () => {
    const tracker = new OffsetTracker();
    tracker.track(tp, 0);
    tracker.track(tp, 1);
    expect(tracker.complete(tp, 1)).toBe(true);
    expect(tracker.complete(tp, 1)).toBe(false);
    expect(tracker.complete(tp, 7)).toBe(false);
    expect(tracker.complete({ topic: 'other', partition: 0 }, 0)).toBe(false);
    expect(tracker.complete(tp, 0)).toBe(true);
    expect(tracker.complete(tp, 0)).toBe(false);
    expect(tracker.committable(tp)).toBe(2);
  });

  it('refuses offsets that do not increase, and offsets that are not offsets', () => {
    const tracker = new OffsetTracker();
    tracker.track(tp, 4);
    expect(() => tracker.track(tp, 4)).toThrow(BusError);
    expect(() => tracker.track(tp, 2)).toThrow(
      expect.objectContaining({ code: 'bus.offset_not_increasing' }),
    );
    expect(() => tracker.track(tp, -1)).toThrow(expect.objectContaining({ code: 'bus.invalid_offset' }));
    expect(() => tracker.track(tp, 5.5)).toThrow(expect.objectContaining({ code: 'bus.invalid_offset' }));
  });

  it('forgets a dropped partition, so a later owner can track it again from the committed offset', () => {
    const tracker = new OffsetTracker();
    const other = { topic: 'kraul.todo', partition: 4 };
    for (const offset of [0, 1, 2]) tracker.track(tp, offset);
    tracker.track(other, 9);
    expect(tracker.partitions()).toEqual([tp, other]);
    tracker.drop(tp);
    expect(tracker.partitions()).toEqual([other]);
    expect(tracker.pending(tp)).toBe(0);
    expect(tracker.committable(tp)).toBeUndefined();
    tracker.track(tp, 1);
    tracker.complete(tp, 1);
    expect(tracker.committable(tp)).toBe(2);
    tracker.drop(other);
    tracker.drop(other);
    expect(tracker.partitions()).toEqual([tp]);
  });

  it('tracks whole batches and lists every partition with something to commit', () => {
    const tracker = new OffsetTracker();
    const record = (partition: number, offset: number) => ({
      topic: 'kraul.events',
      partition,
      offset,
      key: null,
      value: new Uint8Array(0),
      headers: {},
      timestamp: 0,
    });
    tracker.trackBatch({ topic: 'kraul.events', partition: 0, records: [record(0, 0), record(0, 1)] });
    tracker.trackBatch({ topic: 'kraul.events', partition: 1, records: [record(1, 8)] });
    tracker.trackBatch({ topic: 'kraul.events', partition: 2, records: [record(2, 3)] });
    tracker.complete({ topic: 'kraul.events', partition: 0 }, 0);
    tracker.complete({ topic: 'kraul.events', partition: 1 }, 8);
    expect(tracker.committableOffsets()).toEqual([
      { topic: 'kraul.events', partition: 0, offset: 1 },
      { topic: 'kraul.events', partition: 1, offset: 9 },
    ]);
  });

  it('agrees with the naive model under random out-of-order completion', () => {
    for (const seed of [1, 2, 3, 42, 1_234, 99_999]) {
      const random = seededRandom(seed);
      const tracker = new OffsetTracker();
      const model = new NaiveTracker();
      const inFlight: number[] = [];
      let next = Math.floor(random() * 100);
      for (let step = 0; step < 3_000; step += 1) {
        const roll = random();
        if (roll < 0.45) {
          // Gaps now and then, as compaction and transaction markers leave them.
          next += random() < 0.1 ? 2 + Math.floor(random() * 3) : 1;
          tracker.track(tp, next);
          model.track(next);
          inFlight.push(next);
        } else if (roll < 0.9 && inFlight.length > 0) {
          const [offset] = inFlight.splice(Math.floor(random() * inFlight.length), 1);
          expect(tracker.complete(tp, offset!)).toBe(model.complete(offset!));
        } else if (roll < 0.95) {
          const offset = next - Math.floor(random() * 20);
          expect(tracker.complete(tp, offset)).toBe(model.complete(offset));
        } else {
          const committable = tracker.committable(tp);
          if (committable !== undefined) {
            tracker.markCommitted(tp, committable);
            model.markCommitted(committable);
          }
        }
        expect({ seed, step, committable: tracker.committable(tp), pending: tracker.pending(tp) }).toEqual({
          seed,
          step,
          committable: model.committable(),
          pending: model.pending(),
        });
      }
    }
  });

  it('handles a million offsets finished in random order', () => {
    const tracker = new OffsetTracker();
    const count = 1_000_000;
    for (let offset = 0; offset < count; offset += 1) tracker.track(tp, offset);
    expect(tracker.pending(tp)).toBe(count);
    const order = shuffle(
      Array.from({ length: count }, (_, offset) => offset),
      seededRandom(7),
    );
    let highestSeen = 0;
    for (const [index, offset] of order.entries()) {
      tracker.complete(tp, offset);
      if (index % 50_000 === 0) {
        const committable = tracker.committable(tp) ?? 0;
        expect(committable).toBeGreaterThanOrEqual(highestSeen);
        highestSeen = committable;
      }
    }
    expect(tracker.pending(tp)).toBe(0);
    expect(tracker.committable(tp)).toBe(count);
  });

  it('handles a million offsets finished newest first', () => {
    const tracker = new OffsetTracker();
    const count = 1_000_000;
    for (let offset = 0; offset < count; offset += 1) tracker.track(tp, offset);
    for (let offset = count - 1; offset > 0; offset -= 1) tracker.complete(tp, offset);
    expect(tracker.committable(tp)).toBeUndefined();
    expect(tracker.pending(tp)).toBe(1);
    tracker.complete(tp, 0);
    expect(tracker.committable(tp)).toBe(count);
  });
});
