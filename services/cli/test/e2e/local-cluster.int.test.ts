import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSite, type TestSite, uniqueName } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../src/cluster/local-cluster.ts';
import { brokerEnv, createJob } from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';
import { graphPageCounts, siteJobFlags, tempWorkDir } from './site-crawl.ts';

/** Running, not merely a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; Z is a process that has exited.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('kraul cluster up|status|down against the running broker', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('runs a job to completion on a frontier, a strategy and two crawlers, then stops them all', async () => {
    const site: TestSite = await startTestSite({ hosts: 4, pagesPerHost: 8 });
    cleanups.push(() => site.close());
    const work = await tempWorkDir('local-cluster');
    cleanups.push(work.remove);
    const cwd = work.dir;
    const dir = join(cwd, 'cluster');
    const prefix = uniqueName('lc');
    const kraul = (args: readonly string[], killAfterMs = 120_000, env: Record<string, string> = {}) =>
      runKraulIn([...args, '--prefix', prefix], { cwd, env: { ...brokerEnv(), ...env }, killAfterMs });
    // A test that fails half way must not leave its processes running.
    cleanups.push(async () => {
      if (existsSync(join(dir, 'cluster.json')))
        await kraul(['cluster', 'down', '--dir', dir, '--grace', '5s']);
    });

    // The roles inherit the environment: at level info their logs say what they did.
    const up = await kraul(['cluster', 'up', '--crawlers', '2', '--dir', dir, '--partitions', '4'], 120_000, {
      KRAUL_LOG_LEVEL: 'info',
    });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`topics of ${prefix}: 7 topics created, 0 already there`);
    expect(up.stdout).toMatch(/cluster up: 4 processes ready on .*, prefix /);
    const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterState;
    expect(state.processes.map((entry) => entry.name)).toEqual([
      'frontier',
      'strategy',
      'crawler-1',
      'crawler-2',
    ]);
    // Each role named the port it bound, and answers there itself.
    for (const entry of state.processes) expect(entry.metricsPort, entry.name).toBeGreaterThan(0);
    const gone = state.processes.filter((entry) => !alive(entry.pid));
    expect(
      gone.map((entry) => `${entry.name}:\n${readFileSync(entry.log, 'utf8').slice(entry.logOffset)}`),
    ).toEqual([]);

    const status = await kraul(['cluster', 'status', '--dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('4 of 4 running');
    expect(status.stdout.match(/ ready /g)).toHaveLength(4);

    await createJob(prefix, cwd, 'site', ['--seed', site.url(0, '/p/0'), ...siteJobFlags(site, '20ms')]);
    const waited = await kraul(['job', 'wait', 'site', '--timeout', '2m'], 150_000);
    expect(waited.code).toBe(0);
    const expected = site.expectedPages();
    expect(waited.stdout).toMatch(/^job site done: 0 queued, 0 in flight, \d+ done, 0 failed/);
    // Done means done: every page was fetched before the wait returned.
    expect(new Set(graphPageCounts(site).keys())).toEqual(expected);

    const listed = await kraul(['job', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[1]?.split(/\s+/).slice(0, 3)).toEqual(['site', 'done', '0']);

    const down = await kraul(['cluster', 'down', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('cluster down: 4 processes stopped\n');
    expect(state.processes.filter((entry) => alive(entry.pid))).toEqual([]);
    expect(existsSync(join(dir, 'cluster.json'))).toBe(false);
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual([
      'crawler-1.log',
      'crawler-2.log',
      'frontier.log',
      'strategy.log',
    ]);
    expect(readFileSync(join(dir, 'logs', 'frontier.log'), 'utf8')).toContain('frontier started');

    const after = await kraul(['cluster', 'status', '--dir', dir]);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(`kraul: no cluster recorded in ${dir}\n`);
  });
});
