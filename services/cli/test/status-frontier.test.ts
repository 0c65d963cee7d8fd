import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDataDir, openSqliteShardStore } from '@kraul/store';
import { afterEach, describe, expect, it } from 'vitest';
import { frontierCounts } from '../src/commands/status.ts';
import { reasonLines } from '../src/failures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function shardDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kraul-status-'));
  dirs.push(dir);
  return dir;
}

const fp = (n: number) => n.toString(16).padStart(16, '0');

describe('kraul status --data-dir', () => {
  it('sums URL states over every shard file and lists the longest host queues', () => {
    const dir = shardDir();
    for (const partition of [0, 1]) {
      const store = openSqliteShardStore({ path: join(dir, `frontier-${partition}.sqlite`), partition });
      for (let i = 0; i < 5; i++) {
        const n = partition * 100 + i;
        store.add({
          fp: fp(n),
          url: `https://h${partition}.test/${i}`,
          job: 'j',
          hostKey: `h${partition}.test`,
          score: 0,
          depth: 0,
        });
      }
      if (partition === 1) {
        const [leased] = store.leaseDue({ now: 0, limit: 1, perHost: 1, leaseMs: 1_000, jobs: ['j'] });
        store.markDone(leased!.fp, { status: 200, fetchedAt: 1 });
        const [failed] = store.leaseDue({ now: 0, limit: 1, perHost: 1, leaseMs: 1_000, jobs: ['j'] });
        store.markFailed(failed!.fp, 'timeout');
        store.markDropped(fp(500), 'other host', {
          url: 'https://x.test/',
          job: 'j',
          hostKey: 'x.test',
          depth: 1,
        });
        store.add({
          fp: fp(999),
          url: 'https://other.test/',
          job: 'k',
          hostKey: 'other.test',
          score: 0,
          depth: 0,
        });
      }
      store.close();
    }
    const all = frontierCounts(dir);
    expect(all.shards).toBe(2);
    expect(all.counts).toEqual({ queued: 9, inflight: 0, done: 1, failed: 1, dropped: 1 });
    expect(all.reasons).toEqual({ failed: { timeout: 1 }, dropped: { out_of_scope: 1 } });
    expect(reasonLines(all.reasons)).toEqual(['  failed: timeout 1', '  dropped: out of scope 1']);
    expect(frontierCounts(dir, 'k').reasons).toEqual({ failed: {}, dropped: {} });
    expect(all.topHosts[0]).toMatchObject({ hostKey: 'h0.test', queued: 5 });
    expect(frontierCounts(dir, 'k').counts.queued).toBe(1);
  });

  it('names a data dir it cannot read', () => {
    expect(() => frontierCounts(join(shardDir(), 'missing'))).toThrow(/--data-dir=.*missing/);
  });

  it('reads only a kraul state folder of its prefix, and writes nothing into one it refuses', () => {
    const empty = shardDir();
    expect(() => frontierCounts(empty)).toThrow(`--data-dir=${empty}: no kraul state here`);
    expect(readdirSync(empty)).toEqual([]);

    const foreign = shardDir();
    writeFileSync(join(foreign, 'frontier-0.sqlite.bak'), 'old');
    mkdirSync(join(foreign, 'misc'));
    expect(() => frontierCounts(foreign)).toThrow(
      /files kraul did not write \(frontier-0\.sqlite\.bak, misc\)/,
    );

    const other = shardDir();
    claimDataDir(other, { prefix: 'acme' });
    expect(() => frontierCounts(other, undefined, 'kraul')).toThrow('topic prefix "acme", not "kraul"');
    expect(frontierCounts(other, undefined, 'acme').shards).toBe(0);
  });
});
