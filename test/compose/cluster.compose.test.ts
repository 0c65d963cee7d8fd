/**
 * The cluster of docker-compose.yml, for real: Kafka, the topics service, frontier, strategy
 * and crawlers from the project's image, a job created and seeded from the host with the
 * project's CLI, crawlers scaled to 3 and one killed mid-crawl. Run by
 * scripts/test-compose.sh (`npm run test:compose`), which prepares the engine and images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeCluster, freePort, run, sample, waitFor } from './cluster.ts';
import {
  longestPauseAfter,
  pageCounts,
  pagesBetween,
  politeness,
  readSiteLog,
  type SiteLog,
} from './site-log.ts';

const JOB = 'compose-site';
const DELAY_MS = 200;
/**
 * The site records a response's end when its own event loop gets to it: on two cores busy
 * with a whole cluster that can be tens of milliseconds after the crawler had the answer,
 * which shortens the gap the site sees. A crawler that ignored the delay (or a new owner of a
 * partition that did not wait) shows gaps of a few milliseconds, far below this margin.
 */
const MIN_GAP_MS = DELAY_MS / 2;
const SITE_PORT = 8080;

const unavailable = process.env['KRAUL_COMPOSE_UNAVAILABLE'];
const figures: [string, string][] = [];
const figure = (name: string, value: string | number) => {
  figures.push([name, String(value)]);
  console.log(`figure: ${name}: ${value}`);
};

let cluster: ComposeCluster;
let up = false;
let crawled = false;

async function expectedPages(port: number): Promise<Set<string>> {
  return new Set((await readSiteLog(port)).expected);
}

/** Graph pages fetched so far, and how many of the expected ones. */
async function progress(port: number): Promise<{ log: SiteLog; fetched: number; total: number }> {
  const log = await readSiteLog(port);
  const counts = pageCounts(log);
  return { log, fetched: log.expected.filter((url) => counts.has(url)).length, total: log.expected.length };
}

async function healthyCrawlers(count: number): Promise<true | undefined> {
  const health = await cluster.health('crawler');
  return health.length === count && health.every((state) => state === 'healthy') ? true : undefined;
}

/**
 * The job is done: the frontier holds no queued and no in-flight URL of the prefix.
 * When `kraul job wait <id>` exists (job lifecycle), this becomes
 * `expect((await cluster.kraul(['job', 'wait', JOB])).code).toBe(0)`.
 */
async function waitForJobDone(): Promise<{ done: number }> {
  const [frontier] = await cluster.containers('frontier');
  return waitFor('the frontier to hold no queued or in-flight URL', async () => {
    const page = await cluster.metrics(frontier!);
    const queued = sample(page, 'kraul_frontier_urls', { state: 'queued' });
    const inflight = sample(page, 'kraul_frontier_urls', { state: 'inflight' });
    return queued === 0 && inflight === 0
      ? { done: sample(page, 'kraul_frontier_urls', { state: 'done' }) }
      : undefined;
  });
}

/** Lag per group from `kraul status` on the host, once every group has committed and caught up. */
async function waitForZeroLag(): Promise<string> {
  return waitFor(
    'zero lag in kraul status',
    async () => {
      const status = await cluster.kraul(['status'], { quiet: true });
      if (status.code !== 0) return undefined;
      const rows = status.stdout
        .split('\n')
        .filter((line) => /^kraul-(crawlers|strategy|frontier)\s/.test(line));
      const caughtUp = rows.length === 3 && rows.every((line) => /^\S+\s+\S+\s+0\s+\d+\/\d+\s/.test(line));
      return caughtUp ? status.stdout : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 2_000 },
  );
}

describe('docker compose: a crawl cluster seeded from the host, scaled and losing a crawler', () => {
  beforeAll(async () => {
    if (unavailable) return;
    cluster = new ComposeCluster({ kafka: await freePort(), siteControl: await freePort() });
    // A run that died half way may have left its cluster: start from nothing.
    await cluster.compose(['down', '-v', '--remove-orphans'], { timeoutMs: 120_000 });
  });

  afterAll(async () => {
    if (unavailable || !cluster) return;
    if (up) {
      const logs = await cluster.compose(['logs', '--no-color', '--tail', '15'], { quiet: true });
      if (!crawled) console.log(logs.stdout.slice(-20_000));
      await cluster.compose(['down', '-v', '--remove-orphans'], { timeoutMs: 180_000 });
    }
    if (figures.length > 0) {
      console.log(
        `\ncompose crawl figures\n${figures.map(([name, value]) => `  ${name.padEnd(36)} ${value}`).join('\n')}`,
      );
    }
  });

  it('has a Docker engine, Compose and the images', () => {
    // One line says why there is no cluster; the test fails, it never passes without one.
    expect(unavailable || 'ready', 'Docker engine or images').toBe('ready');
  });

  it('comes up on healthchecks, with the topics made by the one-shot service', async () => {
    expect(unavailable || 'ready').toBe('ready');
    // The whole file, monitoring profile included, is valid for the Compose at hand.
    await cluster.mustCompose(['--profile', 'monitoring', 'config', '-q']);
    const started = Date.now();
    up = true;
    await cluster.mustCompose(['up', '-d'], { timeoutMs: 300_000 });
    await waitFor(
      'frontier, strategy and crawler to be healthy',
      async () => {
        const states = await Promise.all(
          ['frontier', 'strategy', 'crawler', 'kafka'].map((s) => cluster.health(s)),
        );
        return states.every((list) => list.length === 1 && list[0] === 'healthy') ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    figure('cluster healthy after (s)', ((Date.now() - started) / 1000).toFixed(1));

    const [topics] = await cluster.containers('topics');
    expect(await cluster.inspect(topics!, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 0');
    const described = await cluster.kraul(['topics', 'describe']);
    expect(described.code).toBe(0);
    for (const role of ['todo', 'events', 'schedule', 'pages', 'items', 'jobs', 'dlq']) {
      expect(described.stdout).toMatch(new RegExp(`^${role}\\s+kraul\\.${role}\\s+\\d+`, 'm'));
    }
    expect(described.stdout).toMatch(/^todo\s+kraul\.todo\s+12\s*$/m);
  });

  it('crawls every page of a multi-host site with 1 then 3 crawlers, one of them killed mid-crawl', async () => {
    expect(up, 'the cluster came up').toBe(true);
    const port = cluster.ports.siteControl;
    const expected = await waitFor('the test site', () => expectedPages(port), { timeoutMs: 60_000 });
    expect(expected.size).toBeGreaterThan(200);
    const [siteContainer] = await cluster.containers('site');
    const siteAddress = await cluster.inspect(
      siteContainer!,
      '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    );
    expect(siteAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // From the host, with the project's CLI: the job allows exactly the site's address.
    const created = await cluster.kraul([
      'job',
      'create',
      JOB,
      '--seed',
      `http://h0.kraul.test:${SITE_PORT}/p/0`,
      '--scope',
      'any',
      '--allow',
      `^http://h\\d+\\.kraul\\.test:${SITE_PORT}/`,
      '--allow-address',
      siteAddress,
      '--delay',
      `${DELAY_MS}ms`,
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    console.log(created.stdout.trim());

    // One crawler until a fifth of the pages are fetched.
    const phase1 = await waitFor(
      'a fifth of the pages with one crawler',
      async () => {
        const seen = await progress(port);
        return seen.fetched >= expected.size / 5 ? seen : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    const firstPage = Math.min(...phase1.log.requests.map((request) => request.startedAtEpoch));
    const scaledAt = Date.now();
    figure(
      'pages/s, 1 crawler container',
      (pagesBetween(phase1.log, firstPage, scaledAt) / ((scaledAt - firstPage) / 1000)).toFixed(1),
    );

    await cluster.mustCompose(['up', '-d', '--no-recreate', '--scale', 'crawler=3'], { timeoutMs: 180_000 });
    await waitFor('three healthy crawlers', () => healthyCrawlers(3), { timeoutMs: 120_000 });
    const threeReady = Date.now();
    figure('3 crawlers healthy after scaling (s)', ((threeReady - scaledAt) / 1000).toFixed(1));

    // Three crawlers until 85 %, then one of them dies without a word.
    const phase2 = await waitFor(
      '85 % of the pages with three crawlers',
      async () => {
        const seen = await progress(port);
        return seen.fetched >= expected.size * 0.85 ? seen : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    const killedAt = Date.now();
    const window = (killedAt - threeReady) / 1000;
    figure(
      'pages/s, 3 crawler containers',
      window > 1 ? (pagesBetween(phase2.log, threeReady, killedAt) / window).toFixed(1) : 'n/a (too short)',
    );
    const crawlers = await cluster.containers('crawler');
    const victim = crawlers[crawlers.length - 1]!;
    expect((await run('docker', ['kill', victim])).code).toBe(0);

    const final = await waitFor(
      'every expected page',
      async () => {
        const seen = await progress(port);
        return seen.fetched === seen.total ? seen : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    const doneAt = Date.now();
    const done = await waitForJobDone();
    const log = await readSiteLog(port);
    crawled = true;
    const crawlerLogs = await cluster.compose(['logs', '--no-color', 'crawler'], { quiet: true });
    const handovers = crawlerLogs.stdout
      .split('\n')
      .filter((line) => /assign|revok|rebalanc|join/i.test(line));
    console.log(`crawler group changes:\n${handovers.slice(-30).join('\n')}`);

    const counts = pageCounts(log);
    const duplicates = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
    figure('pages (expected, fetched)', `${expected.size}, ${counts.size}`);
    figure('frontier URLs done', done.done);
    figure('crawl time, first page to last (s)', ((doneAt - firstPage) / 1000).toFixed(1));
    figure('duplicate fetches (at-least-once)', duplicates);
    figure('longest pause of a host after the kill (ms)', longestPauseAfter(final.log, killedAt));
    const hosts = politeness(log);
    figure(
      `shortest gap between requests to a host (ms, delay ${DELAY_MS})`,
      Math.min(...hosts.map((host) => host.minGapMs)),
    );

    // Every page, nothing outside the site's rules, each page at most once per handover.
    expect(new Set(counts.keys())).toEqual(expected);
    expect(log.requests.filter((request) => request.path.startsWith('/private/'))).toEqual([]);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(3);
    // Politeness held across scaling and the kill: one request at a time per host, and the
    // job's delay between them.
    const at = (epoch: number) =>
      `${((epoch - firstPage) / 1000).toFixed(1)} s into the crawl (scaled at ${((scaledAt - firstPage) / 1000).toFixed(1)} s, ` +
      `3 ready at ${((threeReady - firstPage) / 1000).toFixed(1)} s, kill at ${((killedAt - firstPage) / 1000).toFixed(1)} s)`;
    for (const host of hosts) {
      const where = host.minGapBefore
        ? `host ${host.host}: shortest gap before ${host.minGapBefore.path} (after ${host.minGapBefore.previousPath}), ${at(host.minGapBefore.startedAtEpoch)}`
        : `host ${host.host}`;
      expect(host.maxConcurrency, `host ${host.host}`).toBe(1);
      expect(host.minGapMs, where).toBeGreaterThanOrEqual(MIN_GAP_MS);
    }
  });

  it('shows zero lag for every group in kraul status from the host', async () => {
    expect(crawled, 'the crawl finished').toBe(true);
    const status = await waitForZeroLag();
    console.log(status.trim());
    expect(status).toMatch(/^dead letters: 0 records on kraul\.dlq$/m);
    // The frontier's own counts, read from its shard files inside its container.
    const [frontier] = await cluster.containers('frontier');
    const counts = await run('docker', [
      'exec',
      frontier!,
      'kraul',
      'status',
      '--data-dir',
      '/var/lib/kraul/frontier',
      '--job',
      JOB,
    ]);
    console.log(counts.stdout.trim());
    expect(counts.code).toBe(0);
    expect(counts.stdout).toMatch(
      /^frontier \(\d+ shards? in \/var\/lib\/kraul\/frontier, job compose-site\): queued 0, inflight 0, done \d+/m,
    );
    const jobs = await cluster.kraul(['job', 'list']);
    expect(jobs.stdout).toMatch(new RegExp(`^${JOB}\\s`, 'm'));
  });

  it('leaves nothing running after down -v', async () => {
    expect(up, 'the cluster came up').toBe(true);
    await cluster.mustCompose(['down', '-v', '--remove-orphans'], { timeoutMs: 180_000 });
    up = false;
    expect(await cluster.projectContainers()).toEqual([]);
    expect(await cluster.projectVolumes()).toEqual([]);
  });
});
