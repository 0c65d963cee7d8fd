import { describe, expect, it } from 'vitest';
import { stickyAssign } from '../src/memory/sticky-assignor.ts';
import type { TopicPartition } from '../src/types.ts';

const tps = (topic: string, partitions: number[]): TopicPartition[] =>
  partitions.map((partition) => ({ topic, partition }));
const numbers = (plan: Map<string, TopicPartition[]>, member: string) =>
  plan.get(member)!.map((tp) => tp.partition);

describe('stickyAssign', () => {
  it('balances a fresh group', () => {
    const plan = stickyAssign(
      ['a', 'b', 'c'].map((member) => ({ member, topics: ['t'], owned: [] })),
      () => 7,
    );
    expect([...plan.values()].map((share) => share.length).sort()).toEqual([2, 2, 3]);
    expect(new Set([...plan.values()].flat().map((tp) => tp.partition)).size).toBe(7);
  });

  it('moves only what a newcomer needs', () => {
    const plan = stickyAssign(
      [
        { member: 'a', topics: ['t'], owned: tps('t', [0, 1, 2, 3, 4, 5]) },
        { member: 'b', topics: ['t'], owned: tps('t', [6, 7, 8, 9, 10, 11]) },
        { member: 'c', topics: ['t'], owned: [] },
      ],
      () => 12,
    );
    expect(numbers(plan, 'a')).toEqual([0, 1, 2, 3]);
    expect(numbers(plan, 'b')).toEqual([6, 7, 8, 9]);
    expect(numbers(plan, 'c')).toEqual([4, 5, 10, 11]);
  });

  it("hands a leaver's partitions to the others and keeps everything else", () => {
    const plan = stickyAssign(
      [
        { member: 'a', topics: ['t'], owned: tps('t', [0, 1, 2, 3]) },
        { member: 'c', topics: ['t'], owned: tps('t', [8, 9, 10, 11]) },
      ],
      () => 12,
    );
    expect(numbers(plan, 'a')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(numbers(plan, 'c')).toEqual([8, 9, 10, 11, 6, 7]);
  });

  it('never gives one partition to two members, even when both claim it', () => {
    const plan = stickyAssign(
      [
        { member: 'a', topics: ['t'], owned: tps('t', [0, 1]) },
        { member: 'b', topics: ['t'], owned: tps('t', [1, 2]) },
      ],
      () => 4,
    );
    expect(numbers(plan, 'a')).toEqual([0, 1]);
    expect(numbers(plan, 'b')).toEqual([2, 3]);
  });
});
