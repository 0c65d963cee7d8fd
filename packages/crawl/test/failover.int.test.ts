import type { RecordMetadata } from '@kraul/bus';
import { type FetchRequest, groupId, type Job } from '@kraul/protocol';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CrawlTopics,
  createCrawlTopics,
  duplicateFps,
  fetchRequest,
  OutcomeReader,
  siteJob,
  startWorker,
  waitFor,
} from './crawl-harness.ts';
import { startWorkerProcess, type WorkerProcess } from './worker-process.ts';

const PARTITIONS = 6;

/** Where a request was written on the todo topic. */
type Placement = Map<string, RecordMetadata>;

describe('crawler workers leaving the group', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  async function setUp(sessionTimeoutMs: number) {
    // Slow pages: the crawl of each host takes seconds, so a worker ends mid-crawl.
    const site = await startTestSite({ hosts: 6, pagesPerHost: 20, pageDelayMs: 80 });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(PARTITIONS);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: 100 } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const worker = await startWorkerProcess({
        prefix: crawl.prefix,
        sessionTimeoutMs,
        revokeGraceMs: 5_000,
      });
      cleanups.push(() => worker.dispose());
      workers.push(worker);
    }
    await waitFor(async () => {
      const owned = await Promise.all(workers.map(async (w) => (await w.stats()).partitions));
      return owned.every((p) => p.length > 0) && owned.flat().length === PARTITIONS;
    }, 'both worker processes to share the todo partitions');
    return { site, crawl, job, outcomes, workers };
  }

  async function sendWholeSite(crawl: CrawlTopics, site: TestSite, job: Job) {
    const requests = site.hosts.flatMap((host) =>
      Array.from({ length: site.options.pagesPerHost }, (_, n) =>
        fetchRequest(job, site.url(host.index, `/p/${n}`)),
      ),
    );
    const written = await crawl.sendRequests(requests);
    const placement: Placement = new Map(requests.map((request, i) => [request.fp, written[i]!]));
    return { requests, placement };
  }

  /** The worker that owns the partitions of most hosts: ending it interrupts the most crawling. */
  async function busiest(
    site: TestSite,
    workers: WorkerProcess[],
  ): Promise<{ victim: WorkerProcess; survivor: WorkerProcess; partitions: Set<number> }> {
    const owned = await Promise.all(workers.map(async (w) => new Set((await w.stats()).partitions)));
    const hostsOf = (partitions: Set<number>) =>
      site.hosts.filter((host) => partitions.has(partitionForKey(host.address, PARTITIONS))).length;
    const index = hostsOf(owned[0]!) >= hostsOf(owned[1]!) ? 0 : 1;
    return { victim: workers[index]!, survivor: workers[1 - index]!, partitions: owned[index]! };
  }

  /** Committed todo offsets of the crawler group, per partition (-1: none yet). */
  async function committedOffsets(crawl: CrawlTopics): Promise<Map<number, number>> {
    const admin = crawl.bus.admin();
    try {
      const lag = await admin.lag(groupId(crawl.prefix, 'crawlers'), crawl.topics.todo);
      return new Map(lag.map((p) => [p.partition, p.committed]));
    } finally {
      await admin.close();
    }
  }

  /** How many of the site's hosts each todo partition holds. */
  function hostsPerPartition(site: TestSite): Map<number, number> {
    const counts = new Map<number, number>();
    for (const host of site.hosts) {
      const partition = partitionForKey(host.address, PARTITIONS);
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Every request has an outcome, and a request has a second one only if it was in the
   * leaver's partitions at or above the committed offset when it left: what the leaver had
   * finished and not committed. (The survivor also gives up its partitions in the eager
   * rebalance, but it skips what it finished itself when it gets them back.)
   */
  function expectNothingLost(
    outcomes: OutcomeReader,
    requests: FetchRequest[],
    placement: Placement,
    leaverPartitions: Set<number>,
    committedAtExit: Map<number, number>,
  ): string[] {
    const byFp = outcomes.byFp();
    expect(new Set(byFp.keys())).toEqual(new Set(requests.map((r) => r.fp)));
    const duplicates = duplicateFps(byFp);
    for (const fp of duplicates) {
      const { partition, offset } = placement.get(fp)!;
      const why = `duplicate ${fp} at ${partition}@${offset}`;
      expect(leaverPartitions.has(partition), why).toBe(true);
      expect(offset, why).toBeGreaterThanOrEqual(committedAtExit.get(partition) ?? -1);
    }
    return duplicates;
  }

  it('moves a SIGKILLed worker’s partitions to the other worker and loses no request', async () => {
    const sessionTimeoutMs = 3_000;
    const { site, crawl, job, outcomes, workers } = await setUp(sessionTimeoutMs);
    const { requests, placement } = await sendWholeSite(crawl, site, job);
    const { victim, survivor, partitions } = await busiest(site, workers);
    const inVictimPartitions = (fp: string) => partitions.has(placement.get(fp)!.partition);
    // Mid-crawl: the victim has reported some of its pages and has more to do.
    await waitFor(
      () => outcomes.all.filter((o) => inVictimPartitions(o.fp)).length >= 30,
      'the doomed worker to crawl some pages',
    );

    const killedAt = performance.now();
    await victim.kill();
    // A killed member commits nothing more: this is what its successor starts from.
    const committedAtKill = await committedOffsets(crawl);
    await waitFor(
      async () => (await survivor.stats()).partitions.length === PARTITIONS,
      'the survivor to own every partition',
      30_000,
    );
    const handoverMs = performance.now() - killedAt;
    await outcomes.waitForAll(requests, 60_000);

    const duplicates = expectNothingLost(outcomes, requests, placement, partitions, committedAtKill);
    const uncommitted = requests.filter((r) => {
      const written = placement.get(r.fp)!;
      return (
        partitions.has(written.partition) && written.offset >= (committedAtKill.get(written.partition) ?? -1)
      );
    }).length;
    expect(duplicates.length).toBeLessThanOrEqual(uncommitted);
    console.info(
      `[crawler failover] SIGKILL: survivor owned all ${PARTITIONS} partitions ${Math.round(handoverMs)} ms after the kill ` +
        `(session timeout ${sessionTimeoutMs} ms); ${duplicates.length} duplicate outcomes of ${requests.length} requests ` +
        `(${uncommitted} were uncommitted in the victim's partitions)`,
    );
  });

  it('hands a SIGTERMed worker’s partitions over at once and loses no request', async () => {
    // A long session: a handover that waited for it would show.
    const sessionTimeoutMs = 10_000;
    const { site, crawl, job, outcomes, workers } = await setUp(sessionTimeoutMs);
    const { requests, placement } = await sendWholeSite(crawl, site, job);
    const { victim, survivor, partitions } = await busiest(site, workers);
    await waitFor(
      () => outcomes.all.filter((o) => partitions.has(placement.get(o.fp)!.partition)).length >= 30,
      'the stopping worker to crawl some pages',
    );

    const stoppedAt = performance.now();
    const exit = await victim.terminate();
    const committedAtExit = await committedOffsets(crawl);
    await waitFor(
      async () => (await survivor.stats()).partitions.length === PARTITIONS,
      'the survivor to own every partition',
      30_000,
    );
    const handoverMs = performance.now() - stoppedAt;
    await outcomes.waitForAll(requests, 60_000);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(5_000);
    expect(handoverMs).toBeLessThan(sessionTimeoutMs);
    const duplicates = expectNothingLost(outcomes, requests, placement, partitions, committedAtExit);
    // The leaver finished what it ran: one host's requests complete in order, so only another
    // host's requests of the same partition, finished out of order, can come again.
    const shared = hostsPerPartition(site);
    for (const fp of duplicates) expect(shared.get(placement.get(fp)!.partition)).toBeGreaterThan(1);
    console.info(
      `[crawler failover] SIGTERM: exit 0 after ${Math.round(exit.elapsedMs)} ms; survivor owned all partitions ` +
        `${Math.round(handoverMs)} ms after the signal (session timeout ${sessionTimeoutMs} ms); ` +
        `${duplicates.length} duplicate outcomes of ${requests.length} requests`,
    );
  });

  it('commits the fetches it lets finish while stopping', async () => {
    const site = await startTestSite({ hosts: 1 });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(1);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: 0 } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const worker = await startWorker(crawl, { revokeGraceMs: 10_000 });
    cleanups.push(() => worker.stop());

    const slow = fetchRequest(job, site.url(0, '/slow?ms=1500'));
    await crawl.sendRequests([slow]);
    await waitFor(
      () => site.requests({ path: '/slow?ms=1500' }).length === 1,
      'the slow page to be requested',
    );
    await worker.stop();

    await outcomes.waitForAll([slow], 10_000);
    expect(outcomes.of(slow.url)).toMatchObject({ type: 'page.fetched', status: 200 });
    // The fetch finished within the grace time, so its offset was committed on the way out.
    expect(await committedOffsets(crawl)).toEqual(new Map([[0, 1]]));
  });
});
