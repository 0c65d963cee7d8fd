// Memory and disk of one frontier shard as it grows, through the path the frontier worker
// takes: schedule decisions applied by FrontierShard.applyAll, a poll at a time, into a sqlite
// shard file.
//
//   node packages/frontier/bench/frontier-scale.bench.ts <checkpoint URLs...>
//
// e.g. `1000000 10000000`. At each checkpoint it prints one JSON line: the URLs known, the
// process's resident and peak memory, the shard files' bytes per URL, the rate of the last
// stretch, and the cost of a lease and of marking its URLs done at that size. The folder is
// a fresh temporary one, removed at the end.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { job as jobSchema, type ScheduleDecision } from '@kraul/protocol';
import { openSqliteShardStore } from '@kraul/store';
import { fingerprint } from '@kraul/url';
import { DEFAULT_RETRY_POLICY } from '../src/retry-policy.ts';
import { emptyStats, FrontierShard } from '../src/shard.ts';

/** Decisions per poll, as a busy frontier worker applies them in one transaction. */
const POLL = 500;
/** One in this many decisions names a URL already known, as links to known pages do. */
const KNOWN_EVERY = 5;
/** A host per 50 URLs on average, and every tenth URL on one of three big hosts: a broad crawl's frontier. */
const URLS_PER_HOST = 50;
const LEASE = { limit: 500, perHost: 4, leaseMs: 600_000 };

export interface ScaleCheckpoint {
  urls: number;
  hosts: number;
  /** Resident memory at the checkpoint and the process's peak so far, bytes. */
  rssBytes: number;
  peakRssBytes: number;
  /** The shard's files (database, WAL, shared memory) over the known URLs. */
  diskBytesPerUrl: number;
  /** New URLs added per second since the previous checkpoint (known ones applied too, not counted). */
  addedPerSecond: number;
  /** One `leaseDue` at this size and marking what it leased done, in one transaction each. */
  leaseMs: number;
  leased: number;
  markDoneMs: number;
}

const checkpoints = process.argv
  .slice(2)
  .map(Number)
  .sort((a, b) => a - b);
if (checkpoints.length === 0 || checkpoints.some((n) => !Number.isInteger(n) || n < POLL)) {
  process.stderr.write(
    `usage: frontier-scale.bench.ts <checkpoint URLs, whole numbers of at least ${POLL}>...\n`,
  );
  process.exit(2);
}
const total = checkpoints.at(-1)!;
const hostCount = Math.max(10, Math.round(total / URLS_PER_HOST));

function urlOf(n: number): string {
  const host = n % 10 === 0 ? n % 3 : 3 + (n % (hostCount - 3));
  return `https://www.site-${host}.example.com/section-${n % 97}/articles/${n}-a-title-of-some-length.html`;
}

function decision(n: number): ScheduleDecision {
  const url = urlOf(n);
  return { op: 'schedule', url, fp: fingerprint(url), score: (n % 100) / 100, depth: 1 + (n % 5) };
}

function diskBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

const job = jobSchema.parse({
  type: 'job',
  id: 'scale',
  seeds: [urlOf(0)],
  createdAt: 1,
  updatedAt: 1,
  settings: { scope: { mode: 'any' } },
});
const dir = mkdtempSync(join(tmpdir(), 'kraul-frontier-scale-'));
const store = openSqliteShardStore({ path: join(dir, 'shard-0.db'), partition: 0 });
const shard = new FrontierShard(store, DEFAULT_RETRY_POLICY);
const jobTotal = () => store.jobTotal(job.id);
try {
  let added = 0;
  let next = 0;
  let stretchStart = performance.now();
  let stretchAdded = 0;
  for (const checkpoint of checkpoints) {
    while (added < checkpoint) {
      const decisions: ScheduleDecision[] = [];
      let fresh = 0;
      for (let i = 0; i < POLL && added + fresh < checkpoint; i++) {
        // Every fifth decision repeats a URL added earlier; the others are new.
        if (i % KNOWN_EVERY === 0 && next > 0) decisions.push(decision((i * 7919) % next));
        else {
          decisions.push(decision(next++));
          fresh += 1;
        }
      }
      const stats = emptyStats();
      shard.applyAll([{ job, decisions }], jobTotal, Date.now(), stats);
      added += stats.added;
      stretchAdded += stats.added;
    }
    const addedPerSecond = (stretchAdded * 1_000) / (performance.now() - stretchStart);
    let started = performance.now();
    const leased = store.leaseDue({ ...LEASE, now: Date.now(), jobs: [job.id] });
    const leaseMs = performance.now() - started;
    started = performance.now();
    store.transaction(() => {
      for (const entry of leased) store.markDone(entry.fp, { status: 200, fetchedAt: Date.now() });
    });
    const markDoneMs = performance.now() - started;
    const result: ScaleCheckpoint = {
      urls: store.jobTotal(job.id),
      hosts: Math.min(hostCount, next),
      rssBytes: process.memoryUsage().rss,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      diskBytesPerUrl: diskBytes(dir) / store.jobTotal(job.id),
      addedPerSecond,
      leaseMs,
      leased: leased.length,
      markDoneMs,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    stretchStart = performance.now();
    stretchAdded = 0;
  }
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
