import {
  type FrontierShardStore,
  openSqliteShardStore,
  type SqliteShardStore,
  type UrlEntry,
} from '@kraul/store';
import { afterEach, describe, expect, it } from 'vitest';
import { HostPlacement } from '../src/host-placement.ts';

const opened: SqliteShardStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function shard(partition: number): SqliteShardStore {
  const store = openSqliteShardStore({ path: ':memory:', partition });
  opened.push(store);
  return store;
}

const entries = (...hosts: string[]) => hosts.map((hostKey) => ({ hostKey }) as UrlEntry);

describe('HostPlacement', () => {
  it('gives each new host the partition with the fewest hosts, its shard’s own first on a tie', () => {
    const placement = new HostPlacement('balanced');
    placement.todoPartitions = 4;
    const two = shard(2);
    placement.opened(two);
    // Within one batch each new host counts for the next; a host named twice gets one partition.
    expect(placement.partitionsOf(two, entries('a', 'b', 'a', 'c', 'd', 'e'))).toEqual([2, 3, 2, 0, 1, 2]);
    expect(two.hostPartitions.get('e')).toBe(2);
    expect(Object.fromEntries(placement.load())).toEqual({ 0: 1, 1: 1, 2: 2, 3: 1 });

    // Another shard's hosts add to the same load.
    const zero = shard(0);
    placement.opened(zero);
    expect(placement.partitionsOf(zero, entries('f', 'g', 'h'))).toEqual([0, 1, 3]);
    // A known host keeps its partition, whatever the load says now.
    expect(placement.partitionsOf(two, entries('a', 'b'))).toEqual([2, 3]);

    // A closed shard's hosts no longer count; opened again, they count as before.
    placement.closed(2);
    expect(Object.fromEntries(placement.load())).toEqual({ 0: 1, 1: 1, 3: 1 });
    placement.opened(two);
    expect(Object.fromEntries(placement.load())).toEqual({ 0: 2, 1: 2, 2: 2, 3: 2 });
  });

  it('places by hash on the shard’s own partition, and when the partition count is not known', () => {
    const byHash = new HostPlacement('hash');
    byHash.todoPartitions = 4;
    const one = shard(1);
    byHash.opened(one);
    expect(byHash.partitionsOf(one, entries('a', 'b', 'c'))).toEqual([1, 1, 1]);
    expect(one.hostPartitions.get('c')).toBe(1);

    const unknownCount = new HostPlacement('balanced');
    const three = shard(3);
    unknownCount.opened(three);
    expect(unknownCount.partitionsOf(three, entries('a', 'b'))).toEqual([3, 3]);
  });

  it('counts nothing it could not record', () => {
    const placement = new HostPlacement('balanced');
    placement.todoPartitions = 2;
    const zero = shard(0);
    placement.opened(zero);
    placement.partitionsOf(zero, entries('a'));
    // A shard whose writes fail (a full disk): the batch fails and its hosts add no load.
    const failing = {
      partition: 1,
      hostPartitions: {
        get: () => undefined,
        set: () => {
          throw new Error('database or disk is full');
        },
        counts: () => new Map(),
      },
      transaction: <T>(fn: () => T): T => fn(),
    } as unknown as FrontierShardStore;
    placement.opened(failing);
    expect(() => placement.partitionsOf(failing, entries('b', 'c'))).toThrow('database or disk is full');
    expect(Object.fromEntries(placement.load())).toEqual({ 0: 1 });
    expect(placement.partitionsOf(zero, entries('d'))).toEqual([1]);
  });
});
