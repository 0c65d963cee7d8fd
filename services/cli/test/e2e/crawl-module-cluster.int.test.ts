import { basename, join } from 'node:path';
import { startTestSite, type TestSite, uniqueName } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerEnv,
  createTopics,
  metricValue,
  type RoleProcess,
  startRole,
  stopRoles,
} from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';
import { comparableItems, expectedShopItems, type ItemLine, shopCrawl } from './shop-items.ts';
import { readJsonLines, tempWorkDir, waitUntil } from './site-crawl.ts';
import { readWarcDir } from './warc-records.ts';

const SESSION = ['--session-timeout', '3s'];

function parseLines(text: string): ItemLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ItemLine);
}

describe('one crawl module, embedded and on the cluster', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;
  const roles: RoleProcess[] = [];

  beforeAll(async () => {
    site = await startTestSite({ hosts: 2 });
    work = await tempWorkDir('crawl-module-cluster');
  });

  afterAll(async () => {
    for (const role of roles.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    await site?.close();
    await work?.remove();
  });

  it('yields the same items through the broker with two crawler processes as embedded', async () => {
    const env = { SHOP_ORIGINS: site.hosts.map((host) => host.origin).join(',') };
    const embedded = await runKraulIn(['run', shopCrawl, '--out', 'embedded.jsonl', '--no-progress'], {
      cwd: work.dir,
      env,
      killAfterMs: 180_000,
    });
    expect(embedded.code).toBe(0);
    const embeddedItems = await readJsonLines<ItemLine>(join(work.dir, 'embedded.jsonl'));
    // 9 products of each host's shop.
    expect(embeddedItems).toHaveLength(2 * expectedShopItems().length);
    site.clearLog();

    const prefix = uniqueName('e2e-module');
    const warcDir = join(work.dir, 'warc');
    await createTopics(prefix, work.dir);
    roles.push(
      ...(await Promise.all([
        startRole('frontier', prefix, {
          cwd: work.dir,
          args: [
            ...SESSION,
            '--data-dir',
            join(work.dir, 'frontier'),
            '--feed-interval',
            '100ms',
            '--retry-base',
            '1s',
          ],
        }),
        startRole('strategy', prefix, { cwd: work.dir, args: SESSION }),
        startRole('crawler', prefix, { cwd: work.dir, args: [...SESSION, '--warc-dir', warcDir] }),
        startRole('crawler', prefix, { cwd: work.dir, args: [...SESSION, '--warc-dir', warcDir] }),
      ])),
    );
    const created = await runKraulIn(['job', 'create', shopCrawl, '--prefix', prefix], {
      cwd: work.dir,
      env: { ...brokerEnv(), ...env },
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created job shop');

    const exportItems = async () => {
      const result = await runKraulIn(
        ['export', '--items', '--job', 'shop', '--from-beginning', '--prefix', prefix],
        { cwd: work.dir, env: brokerEnv() },
      );
      expect(result.code).toBe(0);
      return parseLines(result.stdout);
    };
    // Done when every item is out and both failing products of each host were tried twice.
    await waitUntil(
      'the cluster to push every item and give up on the failing products',
      async () =>
        site.hosts.every(
          (host) =>
            site.requests({ host: host.index, path: '/shop/item/5' }).length === 2 &&
            site.requests({ host: host.index, path: '/shop/item/6' }).length === 2,
        ) && (await exportItems()).length >= embeddedItems.length,
      { timeoutMs: 150_000, intervalMs: 1_000 },
    );
    const clusterItems = await exportItems();
    expect(comparableItems(clusterItems)).toEqual(comparableItems(embeddedItems));

    // Both failure kinds are visible in the crawlers' metrics; the invalid items too.
    const crawlers = roles.filter((role) => role.name === 'crawler');
    const sum = async (metric: string, labels: Record<string, string>) =>
      (await Promise.all(crawlers.map((crawler) => metricValue(crawler, metric, labels)))).reduce(
        (a, b) => a + b,
        0,
      );
    // A handler's timeout is counted when it fires, after the site saw the request: wait for it.
    const failures = async () => ({
      threw: await sum('kraul_crawler_handler_pages_total', { outcome: 'threw' }),
      timeout: await sum('kraul_crawler_handler_pages_total', { outcome: 'timeout' }),
      invalid: await sum('kraul_crawler_items_total', { outcome: 'invalid' }),
    });
    await waitUntil(
      'the crawlers to count both failure kinds and the invalid items',
      async () => {
        const { threw, timeout, invalid } = await failures();
        return threw >= 4 && timeout >= 4 && invalid >= 2;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const counted = await failures();
    expect(counted.threw).toBeGreaterThanOrEqual(4);
    expect(counted.timeout).toBeGreaterThanOrEqual(4);
    expect(counted.invalid).toBeGreaterThanOrEqual(2);

    const exits = await stopRoles(roles.splice(0));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0, 0]);

    // --warc-dir: each crawler wrote its own files; every answer of the site is archived.
    const { files, records } = await readWarcDir(warcDir);
    for (const file of files)
      expect(basename(file)).toMatch(/^kraul-[A-Za-z0-9.-]+-\d+-\d{17}-\d{5}\.warc\.gz$/);
    const answered = site.requests(
      (request) => request.path !== '/robots.txt' && request.status !== undefined,
    );
    const responses = records.filter((record) => record.type === 'response');
    expect(new Set(responses.map((record) => record.uri))).toEqual(
      new Set(answered.map((request) => request.url)),
    );
    for (const response of responses) expect(response.computedDigest).toBe(response.payloadDigest);
  });
});
