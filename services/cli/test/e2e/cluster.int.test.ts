import { startTestSite, type TestSite, type TestSiteOptions, uniqueName } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createJob,
  createTopics,
  metricValue,
  type RoleProcess,
  startCluster,
  startCrawler,
  stopRoles,
} from './cluster-roles.ts';
import type { KraulExit } from './kraul-process.ts';
import { runKraulIn } from './kraul-process.ts';
import {
  graphPageCounts,
  isGraphPage,
  repeated,
  siteJobFlags,
  tempWorkDir,
  waitForQuiet,
  waitUntil,
} from './site-crawl.ts';

const SLACK_MS = 5;

/** Every role exited by itself with 0 and wrote nothing to stderr. */
function expectCleanExits(roles: readonly RoleProcess[], exits: readonly KraulExit[]): void {
  const seen = exits.map((exit, index) => ({
    role: roles[index]!.name,
    code: exit.code,
    signal: exit.signal,
    stderr: exit.stderr,
  }));
  expect(seen).toEqual(roles.map((role) => ({ role: role.name, code: 0, signal: null, stderr: '' })));
}

describe('the same crawl through Kafka, one process per role', () => {
  const started: RoleProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  async function site(options: TestSiteOptions): Promise<TestSite> {
    const testSite = await startTestSite(options);
    cleanups.push(() => testSite.close());
    return testSite;
  }

  async function workDir(label: string): Promise<string> {
    const work = await tempWorkDir(label);
    cleanups.push(work.remove);
    return work.dir;
  }

  function track<T extends RoleProcess>(role: T): T {
    started.push(role);
    return role;
  }

  afterEach(async () => {
    // A test that failed half way leaves its roles running: they go with the test.
    for (const role of started.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fetches the pages the embedded run fetches, and every role stops cleanly on SIGTERM', async () => {
    const delayMs = 100;
    const testSite = await site({ hosts: 4, pagesPerHost: 12 });
    const cwd = await workDir('cluster');
    const flags = siteJobFlags(testSite, `${delayMs}ms`);
    const seed = testSite.url(0, '/p/0');

    const embedded = await runKraulIn(['run', seed, ...flags, '--no-progress'], { cwd });
    expect(embedded.code).toBe(0);
    const embeddedPages = new Set(graphPageCounts(testSite).keys());
    expect(embeddedPages).toEqual(testSite.expectedPages());
    testSite.clearLog();

    const prefix = uniqueName('e2e');
    await createTopics(prefix, cwd);
    const { frontier, strategy, crawler } = await startCluster(prefix, cwd);
    const roles = [frontier, strategy, crawler].map(track);
    await createJob(prefix, cwd, 'site', ['--seed', seed, ...flags]);

    const expected = testSite.expectedPages();
    await waitUntil('every expected page to be requested', () => {
      const fetched = graphPageCounts(testSite);
      return [...expected].every((url) => fetched.has(url));
    });
    await waitForQuiet(testSite, 1_500);

    // The crawler counted what the site served: every document but robots.txt, all 2xx.
    const served = testSite.requests((request) => request.path !== '/robots.txt').length;
    expect(await metricValue(crawler, 'kraul_crawler_fetches_total', { outcome: '2xx' })).toBe(served);

    expectCleanExits(roles, await stopRoles(roles));

    const counts = graphPageCounts(testSite);
    expect(new Set(counts.keys())).toEqual(embeddedPages);
    expect(repeated(counts)).toEqual([]);
    expect(testSite.requests({ path: /^\/private\// })).toEqual([]);
    for (const host of testSite.hosts) {
      expect(Math.min(...testSite.gaps(host.index))).toBeGreaterThanOrEqual(delayMs - SLACK_MS);
    }
  });

  it('loses nothing when a crawler leaves half way and another takes over', async () => {
    const delayMs = 50;
    const testSite = await site({ hosts: 4, pagesPerHost: 12, pageDelayMs: 100 });
    const cwd = await workDir('handover');
    const prefix = uniqueName('e2e');
    await createTopics(prefix, cwd);
    const { frontier, strategy, crawler } = await startCluster(prefix, cwd);
    for (const role of [frontier, strategy, crawler]) track(role);
    await createJob(prefix, cwd, 'site', [
      '--seed',
      testSite.url(0, '/p/0'),
      ...siteJobFlags(testSite, `${delayMs}ms`),
    ]);

    const expected = testSite.expectedPages();
    await waitUntil(
      'half of the pages to be requested',
      () => testSite.requests(isGraphPage).length >= expected.size / 2,
      { intervalMs: 10 },
    );
    // The leaving crawler finishes what it is fetching, commits and leaves the group.
    const [left] = await stopRoles([crawler]);
    expectCleanExits([crawler], [left!]);
    expect(testSite.requests((request) => request.aborted)).toEqual([]);
    const successor = track(await startCrawler(prefix, cwd));

    await waitUntil('every expected page to be requested', () => {
      const fetched = graphPageCounts(testSite);
      return [...expected].every((url) => fetched.has(url));
    });
    await waitForQuiet(testSite, 1_500);
    expectCleanExits([frontier, strategy, successor], await stopRoles([frontier, strategy, successor]));

    // At least once: a request finished after one its partition had not reached is delivered
    // again to the new owner, so a page may be fetched twice, never more, and none is lost.
    const counts = graphPageCounts(testSite);
    expect(new Set(counts.keys())).toEqual(expected);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect(testSite.requests({ path: /^\/private\// })).toEqual([]);
    for (const host of testSite.hosts) {
      expect(testSite.maxConcurrency(host.index)).toBe(1);
      expect(Math.min(...testSite.gaps(host.index))).toBeGreaterThanOrEqual(delayMs - SLACK_MS);
    }
  });
});
