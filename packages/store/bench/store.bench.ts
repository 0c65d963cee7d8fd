// Throughput and size of the sqlite frontier store: node packages/store/bench/store.bench.ts [urls...]
// Default sizes: 100000 and 1000000. Each size gets a fresh file in a temporary directory,
// removed afterwards. Prints URLs per second for each operation and file bytes per URL.
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteShardStore, type SqliteShardStore } from '../src/index.ts';
import type { NewUrl } from '../src/types.ts';

const BATCH = 1000;
/** A host per 50 URLs on average, a few big hosts: like a broad crawl's frontier. */
const URLS_PER_HOST = 50;
const LEASE_LIMIT = 500;
const LEASE_PER_HOST = 5;
const LEASED_PER_SIZE = 50_000;

const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(100_000, 1_000_000);

function urlOf(n: number, hostCount: number): NewUrl {
  // Every tenth URL on one of three big hosts, the rest spread over the others.
  const host = n % 10 === 0 ? n % 3 : 3 + (n % (hostCount - 3));
  const hostKey = `www.site-${host}.example.com`;
  const url = `https://${hostKey}/section-${n % 97}/articles/${n}-a-title-of-some-length.html`;
  return {
    fp: hash('sha256', url, 'hex').slice(0, 16),
    url,
    job: 'bench',
    hostKey,
    score: (n % 100) / 100,
    depth: 1 + (n % 5),
  };
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function benchSize(total: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'kraul-store-bench-'));
  const path = join(dir, 'shard-0.db');
  const hostCount = Math.max(10, Math.round(total / URLS_PER_HOST));
  let store: SqliteShardStore = openSqliteShardStore({ path, partition: 0 });
  try {
    const insertMs = time(() => {
      for (let start = 0; start < total; start += BATCH) {
        store.transaction(() => {
          for (let n = start; n < Math.min(total, start + BATCH); n++) store.add(urlOf(n, hostCount));
        });
      }
    });

    const known = Math.min(total, 100_000);
    const dedupMs = time(() => {
      for (let start = 0; start < known; start += BATCH) {
        store.transaction(() => {
          for (let n = start; n < start + BATCH; n++) {
            const url = urlOf(n, hostCount);
            store.add(url);
            store.hostTotal(url.job, url.hostKey);
            store.jobTotal(url.job);
          }
        });
      }
    });

    let leased = 0;
    let calls = 0;
    const fps: string[] = [];
    const leaseMs = time(() => {
      while (leased < LEASED_PER_SIZE) {
        const batch = store.leaseDue({
          now: Date.now(),
          limit: LEASE_LIMIT,
          perHost: LEASE_PER_HOST,
          leaseMs: 60_000,
          jobs: ['bench'],
        });
        if (batch.length === 0) break;
        leased += batch.length;
        calls++;
        for (const entry of batch) fps.push(entry.fp);
      }
    });

    const doneMs = time(() => {
      for (let start = 0; start < fps.length; start += BATCH) {
        store.transaction(() => {
          for (const fp of fps.slice(start, start + BATCH)) {
            store.markDone(fp, { status: 200, fetchedAt: Date.now(), validators: { etag: '"0123456789"' } });
          }
        });
      }
    });

    store.close();
    // Closing the last connection checkpoints the WAL into the main file.
    const bytes = statSync(path).size;
    const reopenMs = time(() => {
      store = openSqliteShardStore({ path, partition: 0 });
    });

    console.log(`${total.toLocaleString('en-US')} URLs on ${hostCount.toLocaleString('en-US')} hosts`);
    console.log(
      `  add (new, transactions of ${BATCH}):    ${rate(total, insertMs)}  (${(insertMs / 1000).toFixed(1)} s)`,
    );
    console.log(`  add (known) + hostTotal + jobTotal:   ${rate(known, dedupMs)}`);
    console.log(
      `  leaseDue (limit ${LEASE_LIMIT}, perHost ${LEASE_PER_HOST}):     ${rate(leased, leaseMs)}  (${(leaseMs / calls).toFixed(1)} ms per call)`,
    );
    console.log(`  markDone (transactions of ${BATCH}):    ${rate(fps.length, doneMs)}`);
    console.log(`  file: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${(bytes / total).toFixed(0)} bytes per URL`);
    console.log(`  reopen: ${reopenMs.toFixed(0)} ms`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const size of sizes) benchSize(size);
