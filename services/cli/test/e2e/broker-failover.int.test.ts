import {
  type LoggedRequest,
  type ScriptedCluster,
  startScriptedCluster,
  startTestSite,
  type TestSite,
  uniqueName,
} from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { Admin } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, type RoleProcess, startCluster, startRole, stopRoles } from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';
import {
  graphPageCounts,
  isGraphPage,
  repeated,
  siteJobFlags,
  tempWorkDir,
  waitUntil,
} from './site-crawl.ts';

// A 3-node cluster of this file's own (client ports 24092-24094), apart from the shared
// test broker, so killing a node here disturbs no other test.
const PORT = 24_092;
const CONTROLLER_PORT = 26_093;
const PARTITIONS = 4;

/** The leader node of every partition of a topic. */
async function leaders(brokers: string[], topic: string): Promise<number[]> {
  const admin = new Admin({ clientId: 'kraul-test-leaders', bootstrapBrokers: brokers, retries: 3 });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    return Array.from({ length: PARTITIONS }, (_, index) => partitions[index]?.leader ?? -1);
  } finally {
    await admin.close();
  }
}

/**
 * The longest wait of a host that still had pages to fetch: the largest gap between two
 * consecutive requests to it, counted from `from` on (a gap that spans `from` counts from
 * there), in ms.
 */
function longestStall(requests: readonly LoggedRequest[], from: number): number {
  let longest = 0;
  for (let index = 1; index < requests.length; index += 1) {
    const previous = requests[index - 1]!.startedAt;
    const current = requests[index]!.startedAt;
    if (current < from) continue;
    longest = Math.max(longest, current - Math.max(previous, from));
  }
  return longest;
}

describe('a crawl on a 3-broker cluster when the leader of the busiest todo partition dies', () => {
  let cluster: ScriptedCluster | undefined;
  let site: TestSite | undefined;
  const roles: RoleProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await Promise.all([cluster?.stop(), site?.close()]);
  }, 60_000);

  it('fetches every page once more or less, loses nothing acknowledged, and measures the stall', async () => {
    [cluster, site] = await Promise.all([
      startScriptedCluster({ port: PORT, controllerPort: CONTROLLER_PORT, nodes: 3 }),
      startTestSite({ hosts: 8, pagesPerHost: 40 }),
    ]);
    const work = await tempWorkDir('broker-failover');
    cleanups.push(work.remove);
    const env = { KRAUL_KAFKA_BROKERS: cluster.brokers.join(',') };
    const prefix = uniqueName('rf3');

    const created = await runKraulIn(
      [
        'topics',
        'create',
        '--prefix',
        prefix,
        '--partitions',
        String(PARTITIONS),
        '--replication-factor',
        '3',
      ],
      { cwd: work.dir, env: { KRAUL_LOG_LEVEL: 'warn', ...env } },
    );
    expect(created.code, created.stderr).toBe(0);

    // Sessions well above the brokers' 2 s detection of a dead node, as docs/kafka.md asks of a
    // multi-broker cluster: until the controller notices, the group coordinator answers no
    // heartbeat, and on a loaded machine that takes longer than 2 s (3 s sessions were expelled
    // in a full test run, and 58 pages fetched again).
    const session = '6s';
    // Hosts placed by hash, so the partition of each host, and the busiest one below, follow
    // from its name.
    const started = await startCluster(
      prefix,
      work.dir,
      { ...env, KRAUL_HOST_PLACEMENT: 'hash' },
      { sessionTimeout: session },
    );
    roles.push(started.frontier, started.strategy, started.crawler);
    roles.push(
      await startRole('crawler', prefix, { cwd: work.dir, args: ['--session-timeout', session], env }),
    );
    const testSite = site;
    await createJob(
      prefix,
      work.dir,
      uniqueName('job'),
      [
        ...siteJobFlags(testSite, '40ms'),
        ...testSite.hosts.flatMap((_, index) => ['--seed', testSite.url(index, '/p/0')]),
      ],
      env,
    );

    const expected = testSite.expectedPages();
    await waitUntil(
      'a third of the site to be fetched',
      () => graphPageCounts(testSite).size >= expected.size / 3,
      {
        timeoutMs: 120_000,
        intervalMs: 100,
      },
    );

    // The busiest todo partition: the one that holds the most hosts.
    const hostsPerPartition = new Map<number, number[]>();
    for (const [index, host] of testSite.hosts.entries()) {
      const partition = partitionForKey(host.address, PARTITIONS);
      hostsPerPartition.set(partition, [...(hostsPerPartition.get(partition) ?? []), index]);
    }
    const [busiest] = [...hostsPerPartition].sort((a, b) => b[1].length - a[1].length)[0]!;
    const before = await leaders(cluster.brokers, `${prefix}.todo`);
    const victim = before[busiest]!;
    expect(victim).toBeGreaterThan(0);
    const pagesAtKill = graphPageCounts(testSite).size;
    const killedAt = performance.now();
    await cluster.killNode(victim);
    const moved = new Set(before.flatMap((leader, partition) => (leader === victim ? [partition] : [])));

    await waitUntil(
      'every page to be fetched after the kill',
      () => graphPageCounts(testSite).size >= expected.size,
      {
        timeoutMs: 180_000,
        intervalMs: 200,
      },
    );
    const counts = graphPageCounts(testSite);
    expect(new Set(counts.keys())).toEqual(expected);
    const duplicates = repeated(counts).reduce((sum, [, count]) => sum + count - 1, 0);

    const stalls = testSite.hosts.map((host, index) => {
      const requests = testSite.requests((request) => request.host === index && isGraphPage(request));
      const partition = partitionForKey(host.address, PARTITIONS);
      const lastRequest = requests.at(-1)?.startedAt ?? 0;
      return {
        host: host.address,
        partition,
        leaderKilled: moved.has(partition),
        stallMs: lastRequest > killedAt ? Math.round(longestStall(requests, killedAt)) : 0,
      };
    });
    const worst = (leaderKilled: boolean) =>
      Math.max(
        0,
        ...stalls.filter((stall) => stall.leaderKilled === leaderKilled).map((stall) => stall.stallMs),
      );
    console.log(
      `[broker failover] node ${victim} (leader of todo partitions ${[...moved].join(',')}) SIGKILLed at ` +
        `${pagesAtKill}/${expected.size} pages; longest per-host stall: ${worst(true)} ms on partitions that ` +
        `lost their leader, ${worst(false)} ms on the others; ${duplicates} duplicate fetches of ${expected.size}`,
    );
    // Each page fetched twice, with its times since the kill, and what the roles warned of:
    // where a redelivery came from when a run has more than a few.
    for (const [url] of repeated(counts).slice(0, 10)) {
      const times = testSite.requests((request) => request.url === url).map((r) => r.startedAt - killedAt);
      console.log(
        `[broker failover] fetched twice: ${url} at ${times.map((t) => `${Math.round(t)} ms`).join(', ')}`,
      );
    }
    for (const role of roles) {
      const warnings = `${role.process.stdout()}${role.process.stderr()}`
        .split('\n')
        .filter((line) => /"level":(40|50)\b/.test(line));
      for (const line of warnings.slice(0, 8))
        console.log(`[broker failover] ${role.name}: ${line.slice(0, 400)}`);
    }
    // Nothing acknowledged was lost: every page was fetched. Redelivery of what was in
    // flight is bounded (no page more than twice). The stall figures are printed for
    // docs/kafka.md and bounded only loosely here: a loaded machine stretches them, and
    // speed is the benchmarks' business.
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    // The members stay in their groups while the dead node leaves the replicas in sync, so
    // nothing is redelivered wholesale: an expelled cluster refetched 35-126 of 320. What is
    // left are sends whose acknowledgement died with the leader although the followers had
    // the records: the frontier puts those URLs back and they are fetched twice (0 in most
    // runs, 8 in one, all of one send). The bound keeps that window and catches an expulsion.
    expect(duplicates).toBeLessThanOrEqual(expected.size * 0.05);
    expect(worst(false)).toBeLessThan(60_000);
    expect(worst(true)).toBeLessThan(60_000);

    const exits = await stopRoles(roles.splice(0));
    expect(exits.map((exit) => exit.code)).toEqual(exits.map(() => 0));
  }, 420_000);
});
