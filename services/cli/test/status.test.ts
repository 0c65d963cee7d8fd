import { describe, expect, it } from 'vitest';
import { summariseLag } from '../src/commands/status.ts';

describe('summariseLag', () => {
  it('adds up the lag and lists the lagging partitions, most behind first', () => {
    const summary = summariseLag('kraul-crawlers', 'kraul.todo', [
      { topic: 'kraul.todo', partition: 0, committed: 10, logEnd: 10, lag: 0 },
      { topic: 'kraul.todo', partition: 1, committed: 5, logEnd: 9, lag: 4 },
      { topic: 'kraul.todo', partition: 2, committed: -1, logEnd: 30, lag: 30 },
    ]);
    expect(summary).toMatchObject({ partitions: 3, totalLag: 34, committedPartitions: 2 });
    expect(summary.lagging.map((partition) => partition.partition)).toEqual([2, 1]);
  });
});
