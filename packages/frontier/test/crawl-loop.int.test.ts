import type { BusAdmin, GroupConsumer, Producer } from '@kraul/bus';
import { createKafkaBus, type KafkaBus } from '@kraul/bus/kafka';
import {
  decodeMessage,
  encodeMessage,
  type FetchRequest,
  groupId,
  type PageFetched,
  type PageLink,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { StrategyWorker } from '@kraul/strategy';
import { createMetricsRegistry } from '@kraul/telemetry';
import { testBrokers, uniqueName } from '@kraul/testkit';
import { fingerprint, hostKey } from '@kraul/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontierWorker } from '../src/frontier-worker.ts';
import { makeJob, tempDir, waitUntil } from './fixtures.ts';
import { silentLogger } from './memory-cluster.ts';

const PARTITIONS = 3;
const HOSTS = ['n0.test', 'n1.test', 'n2.test', 'n3.test', 'n4.test'];
const PAGES_PER_HOST = 6;
const SEED = 'https://n0.test/p/0';

/**
 * A synthetic web: page i of host h links to page i + 1 and page 2i + 1 of the next two
 * hosts (so links cross hosts and partitions and most pages are linked from several), plus a
 * denied page and a nofollow link to a page nothing else links to.
 */
function linksOf(url: string): PageLink[] {
  const { hostname, pathname } = new URL(url);
  if (pathname.startsWith('/private/') || pathname === '/hidden') return [];
  const h = HOSTS.indexOf(hostname);
  const i = Number(pathname.split('/').at(-1));
  const next = (offset: number) => HOSTS[(h + offset) % HOSTS.length]!;
  const links: PageLink[] = [];
  if (i + 1 < PAGES_PER_HOST) links.push({ url: `https://${next(1)}/p/${i + 1}` });
  if (2 * i + 1 < PAGES_PER_HOST) links.push({ url: `https://${next(2)}/p/${2 * i + 1}`, text: 'deeper' });
  links.push({ url: `https://${hostname}/p/0` }, { url: `https://${hostname}/private/${i}` });
  if (i === 0) links.push({ url: `https://${hostname}/hidden`, nofollow: true, rel: ['nofollow'] });
  return links;
}

/** What the crawl must fetch: everything reachable from the seed over followed, allowed links. */
function reachable(): Set<string> {
  const seen = new Set([SEED]);
  const queue = [SEED];
  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    for (const link of linksOf(url)) {
      if (link.nofollow || link.url.includes('/private/') || seen.has(link.url)) continue;
      seen.add(link.url);
      queue.push(link.url);
    }
  }
  return seen;
}

describe('strategy and frontier on Kafka', () => {
  const prefix = uniqueName('kraul-fs');
  const topics: TopicNames = topicNames(prefix);
  const dir = tempDir('crawl-loop');
  const log = silentLogger();
  let bus: KafkaBus;
  let admin: BusAdmin;
  let producer: Producer;
  let jobs: JobRegistry;
  let frontier: FrontierWorker;
  let strategy: StrategyWorker;
  let crawler: GroupConsumer;

  beforeAll(async () => {
    bus = createKafkaBus({ brokers: testBrokers(), clientId: uniqueName('kraul-fs-test') });
    admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs(prefix, PARTITIONS));
    producer = bus.producer();
    const job = makeJob({ seeds: [SEED], settings: { scope: { mode: 'any', deny: ['/private/'] } } });
    await producer.send([{ topic: topics.jobs, key: job.id, value: encodeMessage(job) }]);
    jobs = new JobRegistry({ bus, topics, groupPrefix: prefix, log });
    await jobs.start();
    const shared = { bus, jobs, log, prefix, sessionTimeoutMs: 6_000 };
    frontier = new FrontierWorker({
      ...shared,
      metrics: createMetricsRegistry(),
      dataDir: dir.path,
      feedIntervalMs: 50,
    });
    strategy = new StrategyWorker({ ...shared, metrics: createMetricsRegistry() });
    await frontier.start();
    await strategy.start();
  });

  afterAll(async () => {
    await crawler?.close();
    await strategy?.stop();
    await frontier?.stop();
    await jobs?.close();
    await admin?.deleteTopics(Object.values(topics)).catch(() => {});
    await bus?.close();
    dir.remove();
  });

  it('crawls a synthetic link graph: every reachable URL requested exactly once, all done', async () => {
    const requests: FetchRequest[] = [];
    const misplaced: string[] = [];
    // The todo partition each host's requests came on: one per host, for good.
    const partitionOfHost = new Map<string, number>();
    // The test plays the crawler: each request becomes a page.fetched with the page's links,
    // and its offset is committed once that event is acknowledged.
    crawler = bus.consumer({
      groupId: groupId(prefix, 'crawlers'),
      topics: [topics.todo],
      sessionTimeoutMs: 6_000,
      maxWaitMs: 100,
    });
    await crawler.start({
      onBatch: async ({ topic, partition, records }) => {
        const events = records.map((record) => {
          const request = decodeMessage(record.value, 'todo') as FetchRequest;
          requests.push(request);
          const key = hostKey(request.url, 'hostname');
          if (record.key !== key || (partitionOfHost.get(key) ?? partition) !== partition)
            misplaced.push(request.url);
          partitionOfHost.set(key, partition);
          const event: PageFetched = {
            type: 'page.fetched',
            job: request.job,
            url: request.url,
            fp: request.fp,
            depth: request.depth,
            attempt: request.attempt,
            lease: request.lease,
            status: 200,
            finalUrl: request.url,
            redirects: [],
            fetchedAt: Date.now(),
            timings: { ttfbMs: 1, totalMs: 2 },
            bytes: 512,
            links: linksOf(request.url),
          };
          return { topic: topics.events, key, value: encodeMessage(event) };
        });
        await producer.send(events);
        await crawler.commit([{ topic, partition, offset: records.at(-1)!.offset + 1 }]);
      },
    });

    await producer.send([
      {
        topic: topics.events,
        key: 'n0.test',
        value: encodeMessage({ type: 'crawl.seeded', job: 'job-1', urls: [{ url: SEED }], source: 'cli' }),
      },
    ]);

    const expected = reachable();
    expect(expected.size).toBeGreaterThan(HOSTS.length);
    await waitUntil(
      'every reachable URL done',
      () => {
        const counts = frontier.counts('job-1');
        return counts.done === expected.size && counts.queued === 0 && counts.inflight === 0;
      },
      60_000,
      100,
    );

    const requested = requests.map((request) => request.url);
    expect(new Set(requested).size).toBe(requested.length);
    expect(new Set(requested)).toEqual(expected);
    expect(
      requests.every((request) => request.attempt === 1 && request.fp === fingerprint(request.url)),
    ).toBe(true);
    expect(misplaced).toEqual([]);
    // The frontier spreads the hosts evenly over the todo partitions: 2, 2 and 1 of the five.
    const hostsPerPartition = [0, 1, 2].map(
      (partition) => [...partitionOfHost.values()].filter((placed) => placed === partition).length,
    );
    expect(hostsPerPartition.sort()).toEqual([1, 2, 2]);
    // The denied links of every fetched page are recorded as dropped, out of scope, once each.
    const denied = new Set(
      [...expected].flatMap((url) =>
        linksOf(url)
          .filter((link) => link.url.includes('/private/'))
          .map((link) => link.url),
      ),
    );
    expect(frontier.counts('job-1')).toEqual({
      queued: 0,
      inflight: 0,
      done: expected.size,
      failed: 0,
      dropped: denied.size,
    });
    expect(frontier.reasonCounts('job-1')).toEqual({ failed: {}, dropped: { out_of_scope: denied.size } });
    expect(frontier.ownedPartitions()).toEqual([0, 1, 2]);
  });
});
