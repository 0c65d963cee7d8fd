import { describe, expect, it } from 'vitest';
import { interleave } from '../src/interleave.ts';
import { type ReadyHost, ReadyHostQueue } from '../src/ready-hosts.ts';

describe('ReadyHostQueue', () => {
  it('merges the jobs in turn order, reading one small page at a time', () => {
    const hosts: ReadyHost[] = [
      { host_id: 1, job_id: 1, lease_turn: 4, inflight: 0 },
      { host_id: 2, job_id: 2, lease_turn: 1, inflight: 0 },
      { host_id: 3, job_id: 1, lease_turn: 2, inflight: 0 },
      { host_id: 4, job_id: 2, lease_turn: 7, inflight: 0 },
      { host_id: 5, job_id: 1, lease_turn: 9, inflight: 0 },
      { host_id: 6, job_id: 2, lease_turn: 3, inflight: 0 },
      { host_id: 7, job_id: 3, lease_turn: 5, inflight: 0 },
    ];
    const reads: [number, number][] = [];
    const queue = new ReadyHostQueue([1, 2], 2, (jobId, afterTurn, count) => {
      reads.push([jobId, afterTurn]);
      return hosts
        .filter((host) => host.job_id === jobId && host.lease_turn > afterTurn)
        .sort((a, b) => a.lease_turn - b.lease_turn)
        .slice(0, count);
    });
    const order: number[] = [];
    for (let host = queue.next(); host !== undefined; host = queue.next()) order.push(host.lease_turn);
    expect(order).toEqual([1, 2, 3, 4, 7, 9]);
    expect(reads).toEqual([
      [1, -1],
      [2, -1],
      [2, 3],
      [1, 4],
    ]);
  });

  it('reads nothing beyond what is taken', () => {
    let rows = 0;
    const queue = new ReadyHostQueue([1], 3, (_jobId, afterTurn, count) => {
      const page = Array.from({ length: count }, (_, i) => ({
        host_id: i,
        job_id: 1,
        lease_turn: afterTurn + 1 + i,
        inflight: 0,
      }));
      rows += page.length;
      return page;
    });
    for (let i = 0; i < 4; i++) queue.next();
    expect(rows).toBe(6);
  });
});

describe('interleave', () => {
  it('takes one item of every lane per round', () => {
    expect(interleave([['a1', 'a2', 'a3'], ['b1'], [], ['c1', 'c2']])).toEqual([
      'a1',
      'b1',
      'c1',
      'a2',
      'c2',
      'a3',
    ]);
    expect(interleave([])).toEqual([]);
  });
});
