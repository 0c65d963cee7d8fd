import { startTestSite } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import { createCrawlTopics, fetchRequest, OutcomeReader, siteJob, waitFor } from './crawl-harness.ts';
import { startWorkerProcess, type WorkerProcess } from './worker-process.ts';

const PARTITIONS = 12;
const DELAY_MS = 150;
/** The site logs a request when its handler runs: it only errs towards larger gaps; this covers timer granularity. */
const CLOCK_SLACK_MS = 5;

/**
 * Membership changes mid-crawl, each a separate crawler process on the real broker, asserted
 * on what the test site saw: scale 1 → 3, SIGKILL one of three, scale 2 → 3, SIGTERM one of
 * three. Every page is fetched, almost none twice, no host ever sees two requests closer than
 * its delay, and the longest wait of a host that still had pages is printed per event
 * (asserted only with a generous bound: the machine running the tests is shared).
 */
describe('crawler membership changes mid-crawl', { timeout: 240_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('scales up, loses a member to SIGKILL and one to SIGTERM without losing, repeating or rushing a page', async () => {
    const site = await startTestSite({ hosts: 20, pagesPerHost: 100, pageDelayMs: 20 });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(PARTITIONS);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: DELAY_MS } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());

    const workers: WorkerProcess[] = [];
    const start = async () => {
      const worker = await startWorkerProcess({
        prefix: crawl.prefix,
        revokeGraceMs: 5_000,
        logLevel: 'warn',
      });
      cleanups.push(() => worker.dispose());
      workers.push(worker);
      return worker;
    };
    const ownersShareEverything = async () => {
      const owned = await Promise.all(workers.map(async (w) => (await w.stats()).partitions));
      return owned.every((p) => p.length > 0) && owned.flat().length === PARTITIONS;
    };
    /** The member owning the partitions of most hosts: ending it interrupts the most crawling. */
    const busiest = async () => {
      const hosts = await Promise.all(
        workers.map(async (w) => {
          const owned = new Set((await w.stats()).partitions);
          return site.hosts.filter((h) => owned.has(partitionForKey(h.address, PARTITIONS))).length;
        }),
      );
      const index = hosts.indexOf(Math.max(...hosts));
      return workers.splice(index, 1)[0]!;
    };

    await start();
    await waitFor(ownersShareEverything, 'the first crawler to own every partition');
    // Hosts interleaved, as the frontier sends them: a partition's log holding one host's 100
    // requests before the next host's would keep that next host waiting behind the crawler's
    // partition buffer, and its wait would count as a stall at whatever event came then.
    const requests = Array.from({ length: site.options.pagesPerHost }, (_, n) =>
      site.hosts.map((host) => fetchRequest(job, site.url(host.index, `/p/${n}`))),
    ).flat();
    await crawl.sendRequests(requests);
    const share = (fraction: number) => () => outcomes.all.length >= requests.length * fraction;
    const events: { name: string; at: number }[] = [];

    await waitFor(share(0.1), '10% of the crawl', 60_000);
    events.push({ name: 'scale 1 -> 3', at: performance.now() });
    await Promise.all([start(), start()]);
    await waitFor(ownersShareEverything, 'three crawlers to share the partitions', 30_000);

    await waitFor(share(0.3), '30% of the crawl', 60_000);
    events.push({ name: 'SIGKILL 1 of 3', at: performance.now() });
    await (await busiest()).kill();
    await waitFor(ownersShareEverything, 'the two survivors to share every partition', 30_000);

    await waitFor(share(0.5), '50% of the crawl', 60_000);
    events.push({ name: 'scale 2 -> 3', at: performance.now() });
    await start();
    await waitFor(ownersShareEverything, 'three crawlers to share the partitions again', 30_000);

    await waitFor(share(0.7), '70% of the crawl', 60_000);
    events.push({ name: 'SIGTERM 1 of 3', at: performance.now() });
    const exit = await (await busiest()).terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });

    await outcomes.waitForAll(requests, 120_000);

    // Coverage: every page fetched and reported.
    const fetched = site.countByUrl();
    const pages = requests.map((r) => r.url);
    expect(pages.filter((url) => !fetched.has(url))).toEqual([]);
    // Duplicates: a page fetched more than once. Only the SIGKILL may cause any: what the killed
    // member fetched since its last commit (within ~200 ms) or had in flight. Measured 0.3%
    // (docs/cluster.md); the bound leaves room for commits that lag on a loaded machine.
    const duplicates = pages.reduce((sum, url) => sum + (fetched.get(url)! - 1), 0);
    expect(duplicates).toBeLessThanOrEqual(pages.length * 0.01);
    const t0 = events[0]!.at;
    // Politeness: never two requests to one host closer than its delay, across every handover.
    const violations = site.hosts.flatMap((host) => {
      const gaps = site.gaps(host.index);
      const times = site.requests({ host: host.index }).sort((a, b) => a.startedAt - b.startedAt);
      const at = (ms: number | undefined) => (ms === undefined ? 'open' : `${Math.round(ms - t0)}`);
      return gaps.flatMap((gap, i) => {
        if (gap >= DELAY_MS - CLOCK_SLACK_MS) return [];
        const [before, after] = [times[i]!, times[i + 1]!];
        return [
          `host ${host.index} (partition ${partitionForKey(host.address, PARTITIONS)}): ${gap.toFixed(1)} ms ` +
            `from ${before.path} [${at(before.startedAt)}, ${at(before.endedAt)}] to ${after.path} ` +
            `[${at(after.startedAt)}, ${at(after.endedAt)}] (ms since the first event)`,
        ];
      });
    });
    expect(violations).toEqual([]);
    // Stalls: per event, the longest a host that still had pages waited across that moment.
    const stalls = events.map(({ name, at }) => {
      let longest = 0;
      let where = '';
      for (const host of site.hosts) {
        const starts = site
          .requests({ host: host.index })
          .map((r) => r.startedAt)
          .sort((a, b) => a - b);
        for (let i = 1; i < starts.length; i++) {
          if (starts[i - 1]! <= at && at < starts[i]! && starts[i]! - starts[i - 1]! > longest) {
            longest = starts[i]! - starts[i - 1]!;
            where = `host ${host.index} (partition ${partitionForKey(host.address, PARTITIONS)}) from ${Math.round(starts[i - 1]! - at)} ms to ${Math.round(starts[i]! - at)} ms`;
          }
        }
      }
      return { name, longest, where };
    });
    console.info(
      `[membership faults] ${pages.length} pages, ${site.hosts.length} hosts, ${PARTITIONS} partitions, delay ${DELAY_MS} ms: ` +
        `coverage ${pages.filter((url) => fetched.has(url)).length / pages.length}, ${duplicates} duplicate fetches ` +
        `(${((duplicates / pages.length) * 100).toFixed(2)}%), ${violations.length} politeness violations; longest host stall: ` +
        stalls.map(({ name, longest, where }) => `${name} ${Math.round(longest)} ms (${where})`).join(', '),
    );
    // A bound for a shared, overloaded machine (starting one crawler process took 30 s at a
    // load of 40 on 2 cores): a partition stuck for good fails here; docs/cluster.md has figures.
    // Each page fetched twice, with its partition and request times relative to the first event.
    for (const url of pages.filter((page) => fetched.get(page)! > 1)) {
      const times = site.requests({ path: new URL(url).pathname }).filter((r) => r.url === url);
      const host = site.hosts[times[0]!.host]!;
      console.info(
        `[membership faults] fetched twice: ${url} (partition ${partitionForKey(host.address, PARTITIONS)}) at ` +
          times.map((r) => `${Math.round(r.startedAt - t0)} ms`).join(', '),
      );
    }
    for (const { longest } of stalls) expect(longest).toBeLessThan(30_000);
  });
});
