import { join } from 'node:path';
import type { GroupConsumer } from '@kraul/bus';
import { type DeadLetter, decodeMessage, groupId, type Job } from '@kraul/protocol';
import { openSqliteShardStore, shardFileName } from '@kraul/store';
import { createMetricsRegistry } from '@kraul/telemetry';
import { fingerprint, hostKey, partitionForKey } from '@kraul/url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrontierWorker, type FrontierWorkerOptions } from '../src/frontier-worker.ts';
import { makeJob, schedule, tempDir, waitUntil } from './fixtures.ts';
import {
  capturingLogger,
  doneFor,
  FakeCrawler,
  hostsOn,
  type MemoryCluster,
  PARTITIONS,
  record,
  silentLogger,
  startMemoryCluster,
} from './memory-cluster.ts';

let cluster: MemoryCluster;
let dir: ReturnType<typeof tempDir>;
let crawler: FakeCrawler;
let workers: FrontierWorker[];

async function setUp(jobs: Job[] = [makeJob()]): Promise<void> {
  cluster = await startMemoryCluster(jobs);
  crawler = new FakeCrawler(cluster);
  await crawler.start();
}

beforeEach(() => {
  dir = tempDir('frontier');
  workers = [];
});

afterEach(async () => {
  for (const worker of workers) await worker.stop();
  await crawler?.close();
  await cluster?.close();
  dir.remove();
});

async function startWorker(options: Partial<FrontierWorkerOptions> = {}): Promise<FrontierWorker> {
  const worker = new FrontierWorker({
    bus: cluster.bus,
    jobs: cluster.jobs,
    log: silentLogger(),
    metrics: createMetricsRegistry(),
    prefix: cluster.prefix,
    dataDir: dir.path,
    feedIntervalMs: 20,
    ...options,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function stopWorker(worker: FrontierWorker): Promise<void> {
  workers.splice(workers.indexOf(worker), 1);
  await worker.stop();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const urlsOf = (host: string, count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, n) => `https://${host}/page/${from + n}`);

/** The todo partitions each host's requests came on, from what the crawler received. */
function partitionsOfHosts(): Map<string, Set<number>> {
  const partitions = new Map<string, Set<number>>();
  for (const { request, record: todo } of crawler.received) {
    const host = new URL(request.url).hostname;
    partitions.set(host, (partitions.get(host) ?? new Set()).add(todo.partition));
  }
  return partitions;
}

/** The frontier group's lag on the schedule topic, over every partition. */
async function scheduleLag(): Promise<number> {
  const lags = await cluster.admin.lag(groupId(cluster.prefix, 'frontier'), cluster.topics.schedule);
  return lags.reduce((sum, lag) => sum + lag.lag, 0);
}

describe('FrontierWorker flow control', () => {
  it('keeps the requests out of a shard within its window, and feeds more as they are reported', async () => {
    await setUp();
    const hosts = hostsOn(0, 5);
    const urls = hosts.flatMap((host) => urlsOf(host, 8));
    await cluster.sendDecisions(
      hosts[0]!,
      urls.map((url) => schedule(url)),
    );
    const window = 10;
    const worker = await startWorker({
      feed: { initialWindow: window, minWindow: window, maxWindow: window },
      perHostPerBatch: 2,
    });

    // Requests received minus those reported done: read in this order it never undercounts.
    let maxOut = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const received = crawler.received.length;
        maxOut = Math.max(maxOut, received - worker.counts('job-1').done);
        await sleep(5);
      }
    })();

    // Nobody reports: feeding stops once the window is out, whatever the crawler commits.
    await waitUntil('the first requests', () => crawler.received.length >= window);
    for (let partition = 0; partition < PARTITIONS; partition += 1)
      await crawler.commit(partition, crawler.on(partition).length);
    await sleep(300);
    expect(crawler.received).toHaveLength(window);

    // A slow crawler: three reports at a time.
    let reported = 0;
    while (reported < urls.length) {
      await waitUntil('feeding to go on', () => crawler.received.length > reported);
      const next = crawler.received.slice(reported, reported + 3);
      await cluster.sendDecisions(
        hosts[0]!,
        next.map((received) => doneFor(received)),
      );
      reported += next.length;
      await waitUntil('the reports recorded', () => worker.counts('job-1').done >= reported);
    }
    sampling = false;
    await sampler;

    expect(maxOut).toBeGreaterThan(0);
    expect(maxOut).toBeLessThanOrEqual(window);
    const requested = crawler.received.map(({ request }) => request.url);
    expect(requested.sort()).toEqual([...urls].sort());
    // The shard's five hosts spread over the four todo partitions, each host on one of them.
    const partitionsOfHost = partitionsOfHosts();
    expect([...partitionsOfHost.values()].map((partitions) => partitions.size)).toEqual([1, 1, 1, 1, 1]);
    const hostsPerPartition = [...partitionsOfHost.values()].map((partitions) => [...partitions][0]!);
    expect(new Set(hostsPerPartition)).toEqual(new Set([0, 1, 2, 3]));
  });

  it('interleaves hosts in a batch and, placing by hash, writes each request to the todo partition of its schedule partition', async () => {
    await setUp();
    const all: string[] = [];
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const [big, small1, small2] = hostsOn(partition, 3, `p${partition}-`);
      // The big host's URLs score best: a queue by score alone would fill the batch with them.
      const decisions = [
        ...urlsOf(big!, 10).map((url) => schedule(url, { score: 10 })),
        ...urlsOf(small1!, 3).map((url) => schedule(url, { score: 1 })),
        ...urlsOf(small2!, 3).map((url) => schedule(url, { score: 1 })),
      ];
      all.push(...decisions.map((decision) => decision.url));
      await cluster.sendDecisions(big!, decisions);
    }
    await startWorker({
      feed: { initialWindow: 6, minWindow: 6, maxWindow: 6 },
      perHostPerBatch: 2,
      hostPlacement: 'hash',
    });

    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      await waitUntil(`the first batch of partition ${partition}`, () => crawler.on(partition).length >= 6);
    }
    await sleep(100);
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const batch = crawler.on(partition);
      expect(batch).toHaveLength(6);
      const perHost = new Map<string, number>();
      for (const { request } of batch) {
        const host = new URL(request.url).hostname;
        perHost.set(host, (perHost.get(host) ?? 0) + 1);
      }
      expect([...perHost.values()]).toEqual([2, 2, 2]);
    }

    // Then the rest, as the crawlers report what they were sent.
    let reported = 0;
    await waitUntil('every URL requested', async () => {
      const received = crawler.received.slice(reported);
      reported += received.length;
      for (const one of received) {
        const key = hostKey(one.request.url, 'hostname');
        await cluster.sendDecisions(key, [doneFor(one)]);
      }
      return crawler.received.length >= all.length;
    });
    for (const { request, record: todo } of crawler.received) {
      const key = hostKey(request.url, 'hostname');
      expect(todo.key).toBe(key);
      expect(todo.partition).toBe(partitionForKey(key, PARTITIONS));
      expect(request).toMatchObject({ type: 'fetch.request', job: 'job-1', attempt: 1 });
    }
    expect(crawler.received.map(({ request }) => request.url).sort()).toEqual(all.sort());
  });

  it('lets one host hold a quarter of the window, so a host found later is fed at once', async () => {
    await setUp();
    const [first, later] = hostsOn(0, 2);
    await cluster.sendDecisions(
      first!,
      urlsOf(first!, 40).map((url) => schedule(url)),
    );
    await startWorker({ feed: { initialWindow: 32, minWindow: 32, maxWindow: 32 }, perHostPerBatch: 4 });

    // Nothing is reported: the first host gets its quarter of the window and no more.
    await waitUntil("the first host's share", () => crawler.received.length >= 8);
    await sleep(200);
    expect(crawler.received).toHaveLength(8);

    // The window has room, and the host found next is fed without waiting for a report.
    await cluster.sendDecisions(
      later!,
      urlsOf(later!, 3).map((url) => schedule(url)),
    );
    await waitUntil("the later host's requests", () => crawler.received.length >= 11);
    const requestedHosts = crawler.received.map(({ request }) => new URL(request.url).hostname);
    expect(requestedHosts.filter((host) => host === later)).toHaveLength(3);
    expect(requestedHosts.filter((host) => host === first)).toHaveLength(8);
  });

  it('sends nothing of a paused job, and resumes when the job is active again', async () => {
    const paused = makeJob({ state: 'paused', updatedAt: 1 });
    await setUp([paused]);
    const [host] = hostsOn(1, 1);
    await cluster.sendDecisions(
      host!,
      urlsOf(host!, 3).map((url) => schedule(url)),
    );
    const worker = await startWorker();
    await waitUntil('the decisions applied', () => worker.counts('job-1').queued === 3);
    await sleep(200);
    expect(crawler.received).toHaveLength(0);

    await cluster.publishJob({ ...paused, state: 'active', updatedAt: 2 });
    await waitUntil('requests of the resumed job', () => crawler.received.length === 3);
  });
});

describe('FrontierWorker leases', () => {
  it('sends a request again, as the next attempt, when it is not reported within its lease', async () => {
    // No delay between requests: with the default 1 s the host could take only one request per
    // 300 ms lease, and the frontier would (rightly) send the second URL only after the first.
    await setUp([makeJob({ settings: { politeness: { delayMs: 0 } } })]);
    const [host] = hostsOn(2, 1);
    const [reported, lost] = urlsOf(host!, 2);
    await cluster.sendDecisions(host!, [schedule(reported!), schedule(lost!)]);
    const leaseMs = 1_000;
    const worker = await startWorker({ leaseMs });

    await waitUntil('both requests', () => crawler.received.length === 2);
    const first = new Map(crawler.received.map((received) => [received.request.url, received]));
    await cluster.sendDecisions(host!, [doneFor(first.get(reported!)!)]);

    const again = await waitUntil('the lost request again', () =>
      crawler.received.find(({ request }) => request.url === lost && request.attempt === 2),
    );
    const original = first.get(lost!)!;
    expect(again.request.lease).not.toBe(original.request.lease);
    // Timestamps are taken when a record is produced, after its lease was taken: a busy event loop
    // between the two shortens the measured span by its lag, by a few hundred ms at worst.
    const producedLagAllowanceMs = 400;
    expect(again.record.timestamp - original.record.timestamp).toBeGreaterThanOrEqual(
      leaseMs - producedLagAllowanceMs,
    );

    await cluster.sendDecisions(host!, [doneFor(again)]);
    await waitUntil('both done', () => worker.counts('job-1').done === 2);
    await sleep(2 * leaseMs);
    expect(crawler.received.filter(({ request }) => request.url === reported)).toHaveLength(1);
    expect(crawler.received.filter(({ request }) => request.url === lost)).toHaveLength(2);
    expect(worker.counts('job-1')).toMatchObject({ done: 2, inflight: 0, queued: 0, failed: 0 });
  });
});

describe('FrontierWorker restart', () => {
  /** Six URLs of one host queued, and a first worker with a window of three sent out. */
  async function firstWindowOut() {
    await setUp();
    const [host] = hostsOn(3, 1);
    const urls = urlsOf(host!, 6);
    await cluster.sendDecisions(
      host!,
      urls.map((url) => schedule(url)),
    );
    const options = { feed: { initialWindow: 3, minWindow: 3, maxWindow: 3 }, perHostPerBatch: 3 };
    const first = await startWorker(options);
    await waitUntil('the first window', () => crawler.received.length === 3);
    return { host: host!, urls, options, first };
  }

  it('continues from the stored state: what is done is not sent again', async () => {
    const { host, urls, options, first } = await firstWindowOut();
    await cluster.sendDecisions(
      host,
      crawler.received.map((received) => doneFor(received)),
    );
    await waitUntil('the first batch done', () => first.counts('job-1').done === 3);
    await stopWorker(first);
    await crawler.commit(3, 3);

    const second = await startWorker(options);
    await waitUntil('the rest', () => crawler.received.length === 6);
    await sleep(100);
    expect(crawler.received.map(({ request }) => request.url).sort()).toEqual([...urls].sort());
    expect(second.counts('job-1')).toMatchObject({ done: 3, inflight: 3, queued: 0 });
    expect(second.ownedPartitions()).toEqual([0, 1, 2, 3]);
  });

  it('feeds a full window beside the leases of a previous owner, even ones never reported', async () => {
    const { urls, options, first } = await firstWindowOut();
    // Gone with its window out, and nobody ever reports those three (a send cut short, say):
    // they stay in flight until their leases run out, ten minutes from now.
    await stopWorker(first);

    const second = await startWorker(options);
    await waitUntil('the rest of the queue', () => crawler.received.length === 6);
    expect(crawler.received.map(({ request }) => request.url).sort()).toEqual([...urls].sort());
    expect(second.counts('job-1')).toMatchObject({ inflight: 6, queued: 0 });
  });

  it('sends again at once what a previous owner leased but stopped before it knew it sent', async () => {
    await setUp();
    const [host] = hostsOn(2, 1);
    const urls = urlsOf(host!, 3);
    // A frontier that leased and stopped before its send was confirmed (killed in between).
    const store = openSqliteShardStore({ path: join(dir.path, shardFileName(2)), partition: 2 });
    for (const url of urls)
      store.add({ fp: fingerprint(url), url, job: 'job-1', hostKey: host!, score: 0, depth: 1 });
    expect(
      store.leaseDue({ now: Date.now(), limit: 10, perHost: 10, leaseMs: 600_000, jobs: ['job-1'] }),
    ).toHaveLength(3);
    store.close();

    const worker = await startWorker();
    await waitUntil('the unsent leases sent', () => crawler.received.length === 3);
    expect(crawler.received.map(({ request }) => request.url).sort()).toEqual([...urls].sort());
    expect(crawler.received.map(({ request }) => request.attempt)).toEqual([2, 2, 2]);
    expect(worker.counts('job-1')).toMatchObject({ inflight: 3, queued: 0 });
  });

  it('sends the leases of a previous run again at once when asked to (embedded restart)', async () => {
    await setUp();
    const [host] = hostsOn(3, 1);
    await cluster.sendDecisions(
      host!,
      urlsOf(host!, 2).map((url) => schedule(url)),
    );
    const first = await startWorker();
    await waitUntil('the requests', () => crawler.received.length === 2);
    await stopWorker(first);
    await crawler.commit(3, 2);

    await startWorker({ releaseLeasesOnOpen: true });
    await waitUntil('the released leases sent again', () => crawler.received.length === 4);
    expect(crawler.received.slice(2).map(({ request }) => request.attempt)).toEqual([2, 2]);
  });
});

describe('FrontierWorker host placement', () => {
  const onlyPartition = (host: string): number => {
    const partitions = [...(partitionsOfHosts().get(host) ?? [])];
    expect(partitions, host).toHaveLength(1);
    return partitions[0]!;
  };

  it('spreads hosts evenly over the todo partitions and keeps each on its own, across a restart', async () => {
    await setUp();
    // Eight hosts whose hash puts all of them on partition 0.
    const hosts = hostsOn(0, 8);
    await cluster.sendDecisions(
      hosts[0]!,
      hosts.flatMap((host) => urlsOf(host, 2)).map((url) => schedule(url)),
    );
    const metrics = createMetricsRegistry();
    const first = await startWorker({ metrics });
    await waitUntil('every first request', () => crawler.received.length === 16);
    const placed = new Map(hosts.map((host) => [host, onlyPartition(host)]));
    const hostsPerPartition = (of: Map<string, number>) =>
      [...of.values()].reduce((counts, partition) => {
        counts[partition]! += 1;
        return counts;
      }, new Array<number>(PARTITIONS).fill(0));
    expect(hostsPerPartition(placed)).toEqual([2, 2, 2, 2]);
    // The gauges are refreshed with the housekeeping of a feed round (at least once a second).
    await waitUntil('the placement gauges', async () => {
      const text = await metrics.metrics();
      return [0, 1, 2, 3].every((partition) =>
        text.includes(`kraul_frontier_hosts_placed{partition="${partition}"} 2`),
      );
    });
    await stopWorker(first);

    // The same hosts again, and four new ones of partition 1, for a new worker on the same data.
    const later = hostsOn(1, 4, 'later-');
    await cluster.sendDecisions(
      hosts[0]!,
      hosts.flatMap((host) => urlsOf(host, 1, 2)).map((url) => schedule(url)),
    );
    await cluster.sendDecisions(
      later[0]!,
      later.flatMap((host) => urlsOf(host, 1)).map((url) => schedule(url)),
    );
    await startWorker();
    await waitUntil('the requests after the restart', () => crawler.received.length === 28);
    for (const host of hosts) expect(onlyPartition(host), host).toBe(placed.get(host));
    const placedLater = new Map(later.map((host) => [host, onlyPartition(host)]));
    expect(hostsPerPartition(placedLater)).toEqual([1, 1, 1, 1]);
  });

  it('places new hosts on their shard’s own partition by hash, and leaves hosts placed before where they are', async () => {
    await setUp();
    const hosts = hostsOn(2, 4);
    await cluster.sendDecisions(
      hosts[0]!,
      hosts.flatMap((host) => urlsOf(host, 1)).map((url) => schedule(url)),
    );
    const balanced = await startWorker();
    await waitUntil('the balanced requests', () => crawler.received.length === 4);
    const placed = new Map(hosts.map((host) => [host, onlyPartition(host)]));
    expect(new Set(placed.values())).toEqual(new Set([0, 1, 2, 3]));
    await stopWorker(balanced);

    const [added] = hostsOn(2, 1, 'added-');
    await cluster.sendDecisions(
      hosts[0]!,
      [...hosts.flatMap((host) => urlsOf(host, 1, 1)), ...urlsOf(added!, 2)].map((url) => schedule(url)),
    );
    await startWorker({ hostPlacement: 'hash' });
    await waitUntil('the requests placed by hash', () => crawler.received.length === 10);
    for (const host of hosts) expect(onlyPartition(host), host).toBe(placed.get(host));
    expect(onlyPartition(added!)).toBe(2);
  });
});

describe('FrontierWorker with bad input', () => {
  async function deadLetters(): Promise<{ letters: DeadLetter[]; consumer: GroupConsumer }> {
    const letters: DeadLetter[] = [];
    const consumer = cluster.bus.consumer({ groupId: 'test-dlq', topics: [cluster.topics.dlq] });
    await consumer.start({
      onBatch: ({ records }) => {
        for (const dlq of records) letters.push(decodeMessage(dlq.value, 'dlq') as DeadLetter);
      },
    });
    return { letters, consumer };
  }

  it('sends an undecodable schedule record to the dead-letter topic and goes on', async () => {
    await setUp();
    const { letters, consumer } = await deadLetters();
    const [host] = hostsOn(0, 1);
    const url = `https://${host}/after-garbage`;
    await cluster.producer.send([record(cluster.topics.schedule, host!, '{"not":"a schedule batch"')]);
    await cluster.sendDecisions(host!, [schedule(url)]);
    await startWorker();

    await waitUntil('the request after the garbage', () => crawler.received.length === 1);
    expect(crawler.received[0]!.request.url).toBe(url);
    await waitUntil('the dead letter', () => letters.length === 1);
    expect(letters[0]).toMatchObject({
      type: 'dlq.record',
      topic: cluster.topics.schedule,
      partition: 0,
      offset: 0,
      key: host,
      value: '{"not":"a schedule batch"',
      consumerGroup: groupId(cluster.prefix, 'frontier'),
    });
    await waitUntil('the frontier to commit past it', async () => (await scheduleLag()) === 0);
    await consumer.close();
  });

  it('skips decisions of URLs without a host and still completes their record', async () => {
    await setUp();
    const [host] = hostsOn(1, 1);
    await cluster.sendDecisions(host!, [
      { op: 'schedule', url: 'garbage', fp: '0123456789abcdef', score: 0, depth: 0 },
      schedule(`https://${host}/ok`),
    ]);
    await cluster.sendDecisions(host!, [schedule(`https://${host}/next`)]);
    await startWorker();
    await waitUntil('both valid URLs requested', () => crawler.received.length === 2);
    await waitUntil('the frontier to commit both records', async () => (await scheduleLag()) === 0);
  });

  it('skips decisions of an unknown job after the wait, with an error, and goes on', async () => {
    await setUp();
    const { log, lines } = capturingLogger('error');
    const [host] = hostsOn(2, 1);
    await cluster.sendDecisions(host!, [schedule(`https://${host}/ghost-1`)], 'ghost');
    await cluster.sendDecisions(host!, [schedule(`https://${host}/ghost-2`)], 'ghost');
    await cluster.sendDecisions(host!, [schedule(`https://${host}/known`)]);
    const worker = await startWorker({ log, jobWaitMs: 200 });

    await waitUntil('the known job request', () => crawler.received.length === 1);
    expect(crawler.received[0]!.request.url).toBe(`https://${host}/known`);
    expect(lines.filter((line) => line['job'] === 'ghost')).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      job: 'ghost',
      msg: 'decisions of an unknown job are skipped',
    });
    expect(worker.counts('ghost')).toMatchObject({ queued: 0, inflight: 0 });

    // Once the job exists, its decisions are applied again.
    await cluster.publishJob(makeJob({ id: 'ghost' }));
    await cluster.sendDecisions(host!, [schedule(`https://${host}/ghost-3`)], 'ghost');
    await waitUntil('the request of the late job', () => crawler.received.length === 2);
    expect(crawler.received[1]!.request).toMatchObject({ job: 'ghost', url: `https://${host}/ghost-3` });
  });
});

describe('FrontierWorker reasons', () => {
  it('counts failed and dropped URLs per reason in its metrics, and sums them over its shards', async () => {
    await setUp();
    const [a, b] = hostsOn(1, 2);
    const metrics = createMetricsRegistry();
    const worker = await startWorker({ metrics });
    await cluster.sendDecisions(a!, [
      {
        op: 'drop',
        url: `https://${a}/cal?d=9`,
        fp: '00000000000000a1',
        reason: 'trap: counting',
        code: 'trap',
      },
      { op: 'drop', url: `https://${a}/away`, fp: '00000000000000a2', reason: 'other host' },
    ]);
    await cluster.sendDecisions(b!, [
      {
        op: 'drop',
        url: `https://${b}/deep`,
        fp: '00000000000000b1',
        reason: 'depth 9 over 8',
        code: 'depth',
        depth: 9,
      },
    ]);
    await waitUntil('the drops recorded', () => worker.counts().dropped === 3);
    expect(worker.reasonCounts('job-1')).toEqual({
      failed: {},
      dropped: { trap: 1, out_of_scope: 1, depth: 1 },
    });
    const text = await metrics.metrics();
    expect(text).toContain('kraul_frontier_urls_ended_total{state="dropped",reason="trap"} 1');
    expect(text).toContain('kraul_frontier_urls_ended_total{state="dropped",reason="depth"} 1');
    await waitUntil('the gauges set by a feeding round', async () =>
      (await metrics.metrics()).includes(
        'kraul_frontier_urls_ended{state="dropped",reason="out_of_scope"} 1',
      ),
    );
  });
});
