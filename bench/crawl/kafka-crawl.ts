import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaBus } from '@kraul/bus/kafka';
import { groupId, topicNames } from '@kraul/protocol';
import { kraulTopicSpecs } from '@kraul/runtime';
import { type SiteLogSummary, type SiteProcess, scopePattern } from '@kraul/testkit/site-process';
import { Admin } from '@platformatic/kafka';
import { REPO_ROOT } from '../report/child-script.ts';
import { brokerCpuMicros, processCpuMicros } from './broker-process.ts';
import type { CrawlResult } from './crawl-protocol.ts';
import { verifyCrawl } from './verify-crawl.ts';

const KRAUL = join(REPO_ROOT, 'services/cli/bin/kraul.ts');
/** How often the crawl is asked whether it is over. */
const POLL_MS = 100;

export interface KafkaCrawlPlan {
  brokers: string[];
  crawlers: number;
  partitions: number;
  concurrencyPerHost: number;
  /** Fetches at once per crawler process. */
  concurrency: number;
  expectedPages: number;
  timeoutMs: number;
}

/** Bytes on the broker's disk and records, per topic, of one crawl. */
export interface KafkaTopicUse {
  topic: string;
  records: number;
  diskBytes: number;
}

export interface KafkaCrawlResult extends CrawlResult {
  /** CPU of the broker over the crawl, when its process could be found (it is shared: other clients count too). */
  brokerCpuMicros?: number;
  /** CPU of the site's process over the crawl, from the same read of its log as `documents`. */
  siteCpuMicros: number;
  topics: KafkaTopicUse[];
  /** How long `kraul job create` took to say the job was created (its own start included): not in `wallMs`. */
  jobCreateMs: number;
  /** Expected pages fetched so far, sampled while the crawl ran: [ms since the start, pages]. */
  progress: [ms: number, pages: number][];
  /** What each crawler process served, by the site's log (`checkedKafkaCrawl` fills it in). */
  crawlerShares?: CrawlerShare[];
}

export interface CrawlerShare {
  /** Hosts the crawler sent requests to. */
  hosts: number;
  /** Requests it sent. */
  requests: number;
}

/** The User-Agent of the bench's crawler process `n`: kraul's robots token, and the process's name. */
function crawlerAgent(n: number): string {
  return `kraul-bench/0.1 crawler-${n} (+https://github.com/kraul-crawler/kraul)`;
}

/** Each crawler process's share of the crawl, from the requests the site logged per User-Agent. */
export function crawlerShares(log: SiteLogSummary, crawlers: number): CrawlerShare[] {
  const byAgent = new Map(log.byAgent);
  return Array.from({ length: crawlers }, (_, n) => {
    const perHost = byAgent.get(crawlerAgent(n)) ?? [];
    return {
      hosts: perHost.filter((requests) => requests > 0).length,
      requests: perHost.reduce((sum, requests) => sum + requests, 0),
    };
  });
}

interface Role {
  name: string;
  child: ChildProcess;
  peakRssBytes: number;
}

/**
 * One crawl through the Kafka broker: frontier, strategy and `crawlers` crawler processes,
 * each started as `kraul <role>` the way a cluster runs them, on fresh topics of their own.
 * Timed from the job's creation (every role started and in its group; the moment `kraul job
 * create` says so) until every expected page was fetched and every group has caught up.
 */
export async function crawlWithKafka(site: SiteProcess, plan: KafkaCrawlPlan): Promise<KafkaCrawlResult> {
  const prefix = `kraul-bench-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kraul-bench-kafka-'));
  const common = [
    '--brokers',
    plan.brokers.join(','),
    '--prefix',
    prefix,
    '--log-level',
    'info',
    '--log-format',
    'json',
  ];
  const bus = createKafkaBus({ brokers: plan.brokers, clientId: `${prefix}-bench` });
  const admin = bus.admin();
  const roles: Role[] = [];
  try {
    await admin.createTopics(kraulTopicSpecs(prefix, plan.partitions));
    const started = [
      startRole('frontier', [
        ...common,
        'frontier',
        '--data-dir',
        dataDir,
        '--feed-interval',
        '100ms',
        '--retry-base',
        '5s',
      ]),
      startRole('strategy', [...common, 'strategy']),
      ...Array.from({ length: plan.crawlers }, (_, n) =>
        startRole(`crawler-${n}`, [
          ...common,
          'crawler',
          '--concurrency',
          String(plan.concurrency),
          // Each crawler names itself, so the site's log tells which hosts each one served.
          '--user-agent',
          crawlerAgent(n),
        ]),
      ),
    ];
    roles.push(...started.map((role) => role.role));
    await Promise.all(started.map((role) => role.ready));

    await site.mark();
    const cpuBefore = roles.map((role) => processCpuMicros(role.child.pid!));
    const brokerBefore = brokerCpuMicros(plan.brokers[0]!);
    const cliStart = performance.now();
    // The crawl is timed from the moment `job create` says the job is created (the job record
    // is on the bus; its seeds follow): the command's own start (Node, the Kafka client) is a
    // cost of the command line, reported apart.
    const start = await runCli([
      ...common,
      'job',
      'create',
      'bench',
      '--seed',
      `${site.origins[0]}/p/0`,
      '--delay',
      '0',
      '--concurrency-per-host',
      String(plan.concurrencyPerHost),
      '--scope',
      'any',
      '--allow',
      scopePattern(site.origins),
      '--max-depth',
      '10000',
      ...site.addresses.flatMap((address) => ['--allow-address', address]),
    ]);
    const expected = new Set(site.expected);
    const groups = (['crawlers', 'strategy', 'frontier'] as const).map((role) => groupId(prefix, role));
    const topics = topicNames(prefix);
    const groupTopics = [topics.todo, topics.events, topics.schedule];
    let lastDocumentMs = 0;
    let fetched = 0;
    const progress: [number, number][] = [];
    for (;;) {
      const elapsed = performance.now() - start;
      if (elapsed > plan.timeoutMs)
        throw new Error(
          `kafka crawl (${plan.crawlers} crawlers) not over after ${plan.timeoutMs} ms: ${fetched} pages`,
        );
      const log = await site.log();
      const now = [...log.countByUrl].filter(([url]) => expected.has(url)).length;
      if (now > fetched) {
        fetched = now;
        lastDocumentMs = elapsed;
      }
      progress.push([elapsed, fetched]);
      if (fetched >= expected.size) {
        let behind = 0;
        for (const [index, group] of groups.entries())
          for (const lag of await admin.lag(group, groupTopics[index]!)) behind += lag.lag;
        if (behind === 0) break;
      }
      for (const role of roles)
        role.peakRssBytes = Math.max(role.peakRssBytes, peakRssBytes(role.child.pid!));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const wallMs = performance.now() - start;
    const cpuMicros = roles.reduce(
      (sum, role, index) => sum + processCpuMicros(role.child.pid!) - cpuBefore[index]!,
      0,
    );
    const brokerAfter = brokerCpuMicros(plan.brokers[0]!);
    for (const role of roles) role.peakRssBytes = Math.max(role.peakRssBytes, peakRssBytes(role.child.pid!));
    const log = await site.log();
    return {
      engine: 'kraul',
      documents:
        [...log.countByUrl].reduce((sum, [, count]) => sum + count, 0) - robotsRequests(log.countByUrl),
      wallMs,
      lastDocumentMs,
      cpuMicros,
      siteCpuMicros: log.cpuMicros,
      maxRssBytes: roles.reduce((sum, role) => sum + role.peakRssBytes, 0),
      ...(brokerBefore !== undefined && brokerAfter !== undefined
        ? { brokerCpuMicros: brokerAfter - brokerBefore }
        : {}),
      topics: await topicUse(plan.brokers, prefix, plan.partitions, admin),
      jobCreateMs: start - cliStart,
      progress,
    };
  } finally {
    await Promise.all(roles.map((role) => stopRole(role)));
    try {
      await admin.deleteTopics?.(kraulTopicSpecs(prefix, plan.partitions).map((spec) => spec.name));
    } catch {
      // Left behind: the broker's retention removes them.
    }
    await admin.close();
    await bus.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function robotsRequests(counts: Iterable<[string, number]>): number {
  let robots = 0;
  for (const [url, count] of counts) if (url.endsWith('/robots.txt')) robots += count;
  return robots;
}

function startRole(name: string, args: string[]): { role: Role; ready: Promise<void> } {
  const child = spawn(process.execPath, [KRAUL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const role: Role = { name, child, peakRssBytes: 0 };
  const ready = new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 64_000) output = output.slice(-32_000);
      if (/"msg":"(frontier|strategy|crawler) started"/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output.slice(-2_000)}`)),
    );
  });
  return { role, ready };
}

async function stopRole(role: Role): Promise<void> {
  if (role.child.exitCode !== null || role.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => role.child.once('exit', () => resolve()));
  role.child.kill('SIGTERM');
  const timer = setTimeout(() => role.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs a kraul command to its end; resolves with when it wrote its first line to stdout
 * (performance.now(), or its exit when it wrote none).
 */
function runCli(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KRAUL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let firstLineAt: number | undefined;
    let errors = '';
    child.stdout!.on('data', () => {
      firstLineAt ??= performance.now();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve(firstLineAt ?? performance.now())
        : reject(new Error(`kraul ${args.join(' ')} exited with ${code}: ${errors}`)),
    );
  });
}

function peakRssBytes(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Records (log end offsets) and bytes on the broker's disk, per topic of the crawl. */
async function topicUse(
  brokers: string[],
  prefix: string,
  partitions: number,
  admin: ReturnType<ReturnType<typeof createKafkaBus>['admin']>,
): Promise<KafkaTopicUse[]> {
  const specs = kraulTopicSpecs(prefix, partitions);
  const client = new Admin({ clientId: `${prefix}-bench-logdirs`, bootstrapBrokers: brokers });
  try {
    const dirs = await client.describeLogDirs({
      topics: specs.map((spec) => ({
        name: spec.name,
        partitions: Array.from({ length: spec.partitions ?? partitions }, (_, n) => n),
      })),
    });
    const bytes = new Map<string, number>();
    for (const broker of dirs)
      for (const result of broker.results)
        for (const topic of result.topics)
          for (const partition of topic.partitions)
            bytes.set(topic.name, (bytes.get(topic.name) ?? 0) + Number(partition.partitionSize));
    const use: KafkaTopicUse[] = [];
    for (const spec of specs) {
      const ends = await admin.lag(`${prefix}-bench-nobody`, spec.name);
      use.push({
        topic: spec.name,
        records: ends.reduce((sum, end) => sum + end.logEnd, 0),
        diskBytes: bytes.get(spec.name) ?? 0,
      });
    }
    return use;
  } finally {
    await client.close();
  }
}

/** The same options a section gives every crawl through the broker: the plan less the crawlers. */
export type KafkaSectionPlan = Omit<KafkaCrawlPlan, 'crawlers' | 'expectedPages' | 'concurrencyPerHost'>;

/**
 * One crawl of the site through the broker with this many crawler processes (per-host
 * concurrency 1), checked against the site's request log: a wrong crawl throws.
 */
export async function checkedKafkaCrawl(
  site: SiteProcess,
  plan: KafkaSectionPlan,
  crawlers: number,
  label: string,
): Promise<KafkaCrawlResult> {
  const expected = new Set(site.expected);
  const result = await crawlWithKafka(site, {
    brokers: plan.brokers,
    crawlers,
    partitions: plan.partitions,
    concurrencyPerHost: 1,
    concurrency: plan.concurrency,
    expectedPages: expected.size,
    timeoutMs: plan.timeoutMs,
  });
  const log = await site.log();
  verifyCrawl(label, result, log, expected);
  return { ...result, crawlerShares: crawlerShares(log, crawlers) };
}
