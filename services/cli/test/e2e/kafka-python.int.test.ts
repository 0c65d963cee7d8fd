import { fileURLToPath } from 'node:url';
import { runPython, startTestSite, type TestSite, testBrokers, uniqueName } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, createTopics, type RoleProcess, startCluster, stopRoles } from './cluster-roles.ts';
import { graphPageCounts, repeated, siteJobFlags, tempWorkDir, waitUntil } from './site-crawl.ts';

const script = fileURLToPath(
  new URL('../../../../packages/testkit/python/kafka_interop.py', import.meta.url),
);

/** One record as kafka_interop.py prints it. */
interface PythonRecord {
  topic: string;
  partition: number;
  key: string | null;
  pythonPartition: number | null;
  value: Record<string, unknown> | null;
}

function parseLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const PARTITIONS = 4;

describe("kafka-python, the seed's own client, next to a kraul cluster", () => {
  const roles: RoleProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('seeds a job with KafkaProducer(key=host), reads the pages back in a group, and agrees on every partition', async () => {
    const site: TestSite = await startTestSite({ hosts: 3, pagesPerHost: 8 });
    cleanups.push(() => site.close());
    const work = await tempWorkDir('kafka-python');
    cleanups.push(work.remove);
    const prefix = uniqueName('py');
    const brokers = testBrokers().join(',');

    await createTopics(prefix, work.dir);
    const cluster = await startCluster(prefix, work.dir);
    roles.push(cluster.frontier, cluster.strategy, cluster.crawler);
    // The job record comes from kraul; Python adds seeds no link leads to, one record per
    // host, so the crawl can only reach them through what Python wrote.
    const job = uniqueName('job');
    await createJob(prefix, work.dir, job, [
      ...siteJobFlags(site, '20ms'),
      '--output',
      'text',
      '--seed',
      site.url(0, '/p/0'),
    ]);

    const seeds = site.hosts.map((_, index) => site.url(index, '/status/200'));
    const seeded = parseLines<{ url: string; key: string; partition: number }>(
      await runPython(script, [
        'seed',
        '--brokers',
        brokers,
        '--topic',
        `${prefix}.events`,
        '--job',
        job,
        ...seeds,
      ]),
    );
    expect(seeded.map((record) => record.url)).toEqual(seeds);
    for (const record of seeded) {
      // kafka-python's default partitioner and kraul's placement agree on the host key.
      expect(record.partition, record.key).toBe(partitionForKey(record.key, PARTITIONS));
    }

    const expected = site.expectedPages();
    const pythonSeeded = (): Map<string, number> =>
      site.countByUrl((request) => request.path === '/status/200');
    await waitUntil(
      'every page of the site and every Python seed to be fetched',
      () => graphPageCounts(site).size >= expected.size && pythonSeeded().size >= seeds.length,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(new Set(graphPageCounts(site).keys())).toEqual(expected);
    expect(new Set(pythonSeeded().keys())).toEqual(new Set(seeds));
    expect(repeated(graphPageCounts(site))).toEqual([]);

    // A KafkaConsumer in its own group reads the page documents kraul published.
    const pages = parseLines<PythonRecord>(
      await runPython(script, [
        'read',
        '--brokers',
        brokers,
        '--topic',
        `${prefix}.pages`,
        '--group',
        uniqueName('py-readers'),
        '--min-records',
        String(expected.size + seeds.length),
        '--timeout',
        '60',
      ]),
    );
    const pageUrls = new Set(pages.map((record) => String(record.value?.['url'])));
    for (const url of [...expected, ...seeds]) expect(pageUrls, url).toContain(url);
    for (const record of pages) expect(record.value?.['type']).toBe('page.document');

    // Every keyed record kraul wrote sits where Java's and Python's partitioner put its key,
    // except fetch requests: the frontier places each host on a todo partition of its choosing
    // (host placement), and keeps all of a host's requests there.
    const internal = parseLines<PythonRecord>(
      await runPython(script, [
        'read',
        '--brokers',
        brokers,
        ...['todo', 'events', 'schedule', 'pages'].flatMap((topic) => ['--topic', `${prefix}.${topic}`]),
        '--group',
        uniqueName('py-audit'),
        '--min-records',
        String(expected.size * 3),
        '--timeout',
        '30',
      ]),
    );
    const topicsSeen = new Set(internal.map((record) => record.topic));
    expect(topicsSeen).toEqual(
      new Set(['todo', 'events', 'schedule', 'pages'].map((topic) => `${prefix}.${topic}`)),
    );
    const misplaced = internal.filter(
      (record) =>
        record.key !== null &&
        record.topic !== `${prefix}.todo` &&
        record.partition !== record.pythonPartition,
    );
    expect(misplaced).toEqual([]);
    const todoPartitionsOfHost = new Map<string, Set<number>>();
    for (const record of internal.filter((record) => record.topic === `${prefix}.todo`)) {
      expect(record.key).not.toBeNull();
      const partitions = todoPartitionsOfHost.get(record.key!) ?? new Set<number>();
      todoPartitionsOfHost.set(record.key!, partitions.add(record.partition));
    }
    expect(todoPartitionsOfHost.size).toBeGreaterThan(1);
    for (const [host, partitions] of todoPartitionsOfHost) expect([...partitions], host).toHaveLength(1);

    const exits = await stopRoles([cluster.frontier, cluster.strategy, cluster.crawler]);
    roles.splice(0);
    expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0]);
  });
});
