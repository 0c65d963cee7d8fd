import { describe, expect, it } from 'vitest';
import { HostScheduler } from '../src/host-scheduler.ts';
import { decodeHandover, encodeHandover } from '../src/politeness-handover.ts';

describe('politeness handover', () => {
  it('carries each waiting host to the next owner as the time it may be fetched again', () => {
    const metadata = encodeHandover(
      [
        ['a.example', 900],
        ['b.example', 30_000],
        ['idle.example', 0],
      ],
      1_000_000,
    );
    // The next owner reads it 400 ms later.
    const { holds } = decodeHandover(metadata, 1_000_400);
    expect([...holds]).toEqual([
      ['b.example', 29_600],
      ['a.example', 500],
    ]);
  });

  it('says nothing when no host waits, and ignores metadata that is not a handover', () => {
    expect(encodeHandover([['a.example', 0]], 1)).toBeUndefined();
    const nothing = { holds: new Map(), done: [], complete: false };
    expect(decodeHandover(null, 1)).toEqual(nothing);
    expect(decodeHandover('not json', 1)).toEqual(nothing);
    expect(decodeHandover('{"v":2,"until":{"a":9}}', 1)).toEqual(nothing);
    expect(decodeHandover('{"v":1,"until":{"a":"soon","b":5},"done":[7,-1,"x",9]}', 1)).toEqual({
      holds: new Map([['b', 4]]),
      done: [7, 9],
      complete: false,
    });
    expect(decodeHandover('{"v":1,"complete":true}', 1).complete).toBe(false);
  });

  it('hands over the offsets finished beyond the commit, even with no host waiting', () => {
    const metadata = encodeHandover([], 5, [12, 14, 15]);
    expect(decodeHandover(metadata, 5).done).toEqual([12, 14, 15]);
  });

  it('fits Kafka metadata limits, keeping the hosts that wait longest', () => {
    const waiting = Array.from(
      { length: 500 },
      (_, index) => [`host-${index}.example`, index + 1] as [string, number],
    );
    const metadata = encodeHandover(waiting, 0, [], { maxBytes: 1_000, complete: true })!;
    expect(metadata.length).toBeLessThanOrEqual(1_000);
    const { holds } = decodeHandover(metadata, 0);
    expect(holds.size).toBeGreaterThan(10);
    expect(holds.get('host-499.example')).toBe(500);
    expect(holds.has('host-0.example')).toBe(false);
    // A host was left out, so the next owner must not take the list for all of them.
    expect(decodeHandover(metadata, 0, { completeWithinMs: 1_000 }).complete).toBe(false);
  });

  it('says when the owner gave the partition up with nothing running, even with no host waiting', () => {
    const fresh = { completeWithinMs: 1_000 };
    const empty = encodeHandover([], 5, [], { complete: true });
    expect(decodeHandover(empty, 5, fresh)).toEqual({ holds: new Map(), done: [], complete: true });
    const listed = encodeHandover([['a.example', 100]], 5, [3], { complete: true });
    expect(decodeHandover(listed, 45, fresh)).toEqual({
      holds: new Map([['a.example', 60]]),
      done: [3],
      complete: true,
    });
    // Too old to rule out an owner in between that died before its first commit.
    expect(decodeHandover(listed, 1_005, fresh).complete).toBe(false);
    // Only a reader that says how old it may be takes it as complete.
    expect(decodeHandover(listed, 5).complete).toBe(false);
    // A commit made while the owner works says nothing of hosts it fetches afterwards.
    expect(decodeHandover(encodeHandover([['a.example', 100]], 5), 5, fresh).complete).toBe(false);
  });

  it("reads a scheduler's waiting hosts, the running ones with their delay from now", async () => {
    let now = 0;
    let finish!: () => void;
    const scheduler = new HostScheduler<string>({
      now: () => now,
      run: () =>
        new Promise((resolve) => {
          finish = () => resolve('done');
        }),
    });
    scheduler.push('slow.example', 'page', { delayMs: 2_000, concurrency: 1 });
    now = 500;
    expect(scheduler.waitingHosts().get('slow.example')).toBe(2_000);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    now = 1_500;
    expect(scheduler.waitingHosts().get('slow.example')).toBe(1_000);
    scheduler.holdHost('held.example', 5_000);
    expect(scheduler.waitingHosts().get('held.example')).toBe(5_000);
    scheduler.close();
  });
});
