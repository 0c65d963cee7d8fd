import { startTestSite, type TestSite, testBrokers, uniqueName } from '@kraul/testkit';
import { Admin } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerEnv,
  createJob,
  createTopics,
  type RoleProcess,
  startCluster,
  stopRoles,
} from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';
import { graphPageCounts, repeated, siteJobFlags, tempWorkDir, waitUntil } from './site-crawl.ts';

/**
 * The client ids of the members of the consumer groups of `prefix`. kafkajs members show the
 * configured client id (`kraul`); @platformatic/kafka ones add their role (`kraul-consumer`).
 */
async function groupMemberClientIds(prefix: string): Promise<string[]> {
  const admin = new Admin({ clientId: 'kraul-test-groups', bootstrapBrokers: testBrokers(), retries: 3 });
  try {
    const groups = [...(await admin.listGroups()).keys()].filter((id) => id.startsWith(prefix));
    if (groups.length === 0) return [];
    const described = await admin.describeGroups({ groups });
    return [...described.values()].flatMap((group) =>
      [...group.members.values()].map((member) => member.clientId),
    );
  } finally {
    await admin.close();
  }
}

/** Every role and command of this file on kafkajs, the one setting a user changes. */
const KAFKAJS = { KRAUL_KAFKA_CLIENT: 'kafkajs' };

describe('a crawl through Kafka on the kafkajs client, one process per role', () => {
  let site: TestSite;
  const roles: RoleProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    site = await startTestSite({ hosts: 3, pagesPerHost: 8 });
  });

  afterAll(async () => {
    await site?.close();
  });

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fetches every page once, reports status and stops every role cleanly on SIGTERM', async () => {
    const work = await tempWorkDir('kafkajs');
    cleanups.push(work.remove);
    const prefix = uniqueName('kjs');

    await createTopics(prefix, work.dir, KAFKAJS);
    const started = await startCluster(prefix, work.dir, KAFKAJS);
    roles.push(started.frontier, started.strategy, started.crawler);
    await createJob(
      prefix,
      work.dir,
      uniqueName('job'),
      [...siteJobFlags(site, '0ms'), '--seed', site.url(0, '/p/0')],
      KAFKAJS,
    );

    const expected = site.expectedPages();
    await waitUntil('every page to be fetched', () => graphPageCounts(site).size >= expected.size, {
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    expect(new Set(graphPageCounts(site).keys())).toEqual(expected);
    expect(repeated(graphPageCounts(site))).toEqual([]);

    // The roles really run on kafkajs: every member of their groups is a kafkajs client.
    const clientIds = await groupMemberClientIds(prefix);
    expect(clientIds.length).toBeGreaterThan(0);
    expect(new Set(clientIds)).toEqual(new Set(['kraul']));

    const status = await runKraulIn(['status', '--prefix', prefix], {
      cwd: work.dir,
      env: { ...brokerEnv(), ...KAFKAJS },
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${prefix}.todo`);

    const exits = await stopRoles(roles.splice(0));
    expect(exits.map((exit) => ({ code: exit.code, stderr: exit.stderr }))).toEqual(
      exits.map(() => ({ code: 0, stderr: '' })),
    );
  });
});
