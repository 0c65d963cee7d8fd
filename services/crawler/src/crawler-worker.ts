import type { Bus, CommittedOffset, OutgoingRecord, Producer, TopicPartition } from '@kraul/bus';
import { decodeHandover, encodeHandover, type HostRun, HostScheduler, type RunOutcome } from '@kraul/crawl';
import { classifyStatus, FetchError, type LookupFunction } from '@kraul/fetch';
import {
  type ErrorClass,
  encodeMessage,
  type FetchFailed,
  type FetchRequest,
  groupId,
  type Job,
  KraulError,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { type Delivery, type JobRegistry, TopicConsumer } from '@kraul/runtime';
import { JobScope } from '@kraul/strategy';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { hostKey } from '@kraul/url';
import { FetchClientPool, type FetchClientSettings } from './fetch-clients.ts';
import { FinishedOffsets } from './finished-offsets.ts';
import { crawlerMetrics } from './metrics.ts';
import { handlePage, requestIdentity, wantsBody } from './page-handler.ts';
import type { PageHook } from './page-hook.ts';
import { fitSitemaps } from './protocol-limits.ts';
import { RobotsReports } from './robots-reports.ts';

export interface CrawlerWorkerOptions {
  bus: Bus;
  jobs: JobRegistry;
  log: Logger;
  metrics: MetricsRegistry;
  /** Topic and group prefix. Default: 'kraul'. */
  prefix?: string;
  /** Requests at once over all hosts. Default: 32. */
  concurrency?: number;
  /** Fetch requests held per assigned partition; the partition is paused when full. Default: 64. */
  partitionBuffer?: number;
  /** How long a revoked partition's running fetches may take to finish before it is handed over. Default: 15,000 ms. */
  revokeGraceMs?: number;
  /** User-Agent header: names kraul and a contact URL. */
  userAgent: string;
  /** Product token matched against robots.txt groups, robots meta names and X-Robots-Tag prefixes. Default: 'kraul'. */
  robotsToken?: string;
  /** Timeouts and size caps of the HTTP client. */
  fetch?: FetchClientSettings['fetcher'];
  /** Name resolution (tests map names to loopback addresses). Default: the system resolver. */
  lookup?: LookupFunction;
  /** Consumer session timeout. Default: 2,500 ms. */
  sessionTimeoutMs?: number;
  /** How long a fetch request of a job not (yet) on the jobs topic waits for it before it is dropped. Default: 10,000 ms. */
  jobWaitMs?: number;
  /** Called after each run of the host scheduler with the times its politeness decisions used (tracing, tests). */
  onHostRun?: (run: HostRun<{ url: string }>) => void;
  /** User code run on every fetched page (page-hook.ts): extra records, or a failure instead. */
  pageHook?: PageHook;
  /** Keep each response as on the wire (`response.raw`) for the page hook: WARC output. Default: false. */
  keepRawResponses?: boolean;
}

interface CrawlTask {
  delivery: Delivery<FetchRequest>;
  request: FetchRequest;
  job: Job;
  host: string;
  origin: string;
  partition: number;
  /** The partition's assignment generation when the task was taken. */
  generation: number;
  enqueuedAt: number;
  /** The sending of the page's outcome, once the fetch is over and its host slot freed. */
  sending?: Promise<void>;
}

class OutOfScopeRedirect extends KraulError {
  constructor(url: string, reason: string) {
    super('crawl.out_of_scope', `redirect to ${url} leaves the crawl's scope (${reason})`, { url, reason });
  }
}

/**
 * The crawler role: a member of the crawlers group on the todo topic. It fetches the requests
 * of its partitions politely (per-host queues, delay, robots.txt) under a global cap, and
 * reports each page or failure on the events topic before the request's offset may be committed.
 */
export class CrawlerWorker {
  readonly #options: CrawlerWorkerOptions;
  readonly #topics: TopicNames;
  readonly #producer: Producer;
  readonly #consumer: TopicConsumer<FetchRequest>;
  readonly #scheduler: HostScheduler<CrawlTask>;
  readonly #clients: FetchClientPool;
  readonly #metrics: ReturnType<typeof crawlerMetrics>;
  readonly #load = new Map<number, number>();
  readonly #generation = new Map<number, number>();
  /** When each partition was last assigned to this worker (performance.now()). */
  readonly #assignedAt = new Map<number, number>();
  /** The todo partition of every host this worker scheduled: whose handover carries the host's delay. */
  readonly #hostPartition = new Map<string, number>();
  /** Partitions being given up: their running fetches may finish, nothing new of theirs starts. */
  readonly #revoking = new Set<number>();
  readonly #finished = new FinishedOffsets();
  readonly #running = new Map<number, Set<Promise<unknown>>>();
  readonly #sitemapsToReport = new Map<string, string[]>();
  readonly #robotsReports = new RobotsReports();
  readonly #crawlDelays = new Map<string, number>();
  readonly #scopes = new Map<string, JobScope>();
  /** Jobs whose wait ran out: their requests are dropped at once until the job shows up. */
  readonly #unknownJobs = new Set<string>();
  /** Product token for robots.txt groups and the page's robots meta and headers. */
  readonly #robotsToken: string;
  #started = false;
  #gaugeTimer: NodeJS.Timeout | undefined;

  constructor(options: CrawlerWorkerOptions) {
    this.#options = options;
    const prefix = options.prefix ?? 'kraul';
    this.#topics = topicNames(prefix);
    this.#producer = options.bus.producer({ clientId: 'kraul-crawler' });
    this.#metrics = crawlerMetrics(options.metrics);
    this.#robotsToken = options.robotsToken ?? 'kraul';
    this.#clients = new FetchClientPool({
      userAgent: options.userAgent,
      robotsToken: this.#robotsToken,
      fetcher: options.fetch ?? {},
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    this.#scheduler = new HostScheduler<CrawlTask>({
      globalConcurrency: options.concurrency ?? 32,
      run: (task) => this.#track(task),
      onError: (error, task) => options.log.error({ err: error, url: task.request.url }, 'crawl task failed'),
      onRun:
        options.onHostRun && ((run) => options.onHostRun?.({ ...run, task: { url: run.task.request.url } })),
    });
    this.#consumer = new TopicConsumer<FetchRequest>({
      bus: options.bus,
      producer: this.#producer,
      topics: this.#topics,
      role: 'todo',
      groupId: groupId(prefix, 'crawlers'),
      log: options.log,
      // Batches no larger than the buffer: a partition is paused between batches, so this
      // bounds what one partition holds to less than two buffers' worth.
      consumer: {
        sessionTimeoutMs: options.sessionTimeoutMs ?? 2_500,
        maxBatchRecords: options.partitionBuffer ?? 64,
      },
      onMessages: (deliveries) => this.#accept(deliveries),
      onAssigned: (partitions, committed) => {
        const now = performance.now();
        for (const { partition } of partitions) {
          this.#assignedAt.set(partition, now);
          this.#generation.set(partition, (this.#generation.get(partition) ?? 0) + 1);
          this.#finished.assigned(partition);
        }
        const held = this.#takeOverPoliteness(committed);
        this.#options.log.info(
          { partitions: partitions.map((p) => p.partition), heldHosts: held },
          'partitions assigned',
        );
      },
      commitMetadata: (tp) => this.#handover(tp.partition),
      onRevoked: (partitions) => this.#revoke(partitions),
      onDeadLetter: () => this.#metrics.deadLetters.inc(),
    });
    options.jobs.onChange((job) => {
      this.#scopes.delete(job.id);
      this.#unknownJobs.delete(job.id);
    });
  }

  /**
   * Holds every host of newly assigned partitions until the time its previous owner said it
   * may be fetched again, and skips the requests it had finished beyond its commit (the
   * handover in the partition's commit metadata).
   */
  #takeOverPoliteness(committed: readonly CommittedOffset[]): number {
    let held = 0;
    const now = Date.now();
    for (const { partition, metadata } of committed) {
      const { holds, done } = decodeHandover(metadata, now);
      for (const [host, ms] of holds) {
        this.#hostPartition.set(host, partition);
        this.#scheduler.holdHost(host, ms);
        held += 1;
      }
      this.#finished.adopt(partition, done);
    }
    return held;
  }

  /** The handover of one partition: when each of its waiting hosts may be fetched again, and what is finished beyond the commit. */
  #handover(partition: number): string | undefined {
    const waiting = [...this.#scheduler.waitingHosts()].filter(
      ([host]) => this.#hostPartition.get(host) === partition,
    );
    return encodeHandover(waiting, Date.now(), this.#finished.finishedBeyondCommit(partition));
  }

  /** Whether the worker is a member of its group and fetching. */
  get ready(): boolean {
    return this.#started;
  }

  stats(): {
    inFlight: number;
    queued: number;
    hosts: number;
    pausedPartitions: number;
    partitions: number[];
  } {
    let paused = 0;
    const assignment = this.#consumer.assignment();
    for (const tp of assignment) if (this.#consumer.isPaused(tp)) paused += 1;
    return {
      inFlight: this.#scheduler.inFlight,
      queued: this.#scheduler.queued,
      hosts: this.#scheduler.hosts,
      pausedPartitions: paused,
      partitions: assignment.map((tp) => tp.partition).sort((a, b) => a - b),
    };
  }

  async start(): Promise<void> {
    await this.#consumer.start();
    this.#started = true;
    this.#gaugeTimer = setInterval(() => this.#updateHostGauges(), 5_000);
    this.#gaugeTimer.unref();
    this.#options.log.info({ concurrency: this.#options.concurrency ?? 32 }, 'crawler started');
  }

  /** Stops taking work, lets running fetches finish (within the grace time), commits, leaves the group. */
  async stop(): Promise<void> {
    this.#started = false;
    clearInterval(this.#gaugeTimer);
    await this.#consumer.close();
    this.#scheduler.close();
    await this.#producer.close();
    await this.#clients.close();
  }

  #updateHostGauges(): void {
    this.#metrics.hostQueue.reset();
    for (const { host, queued } of this.#scheduler.queueDepths(10)) {
      if (queued > 0) this.#metrics.hostQueue.set({ host }, queued);
    }
    this.#metrics.hosts.set(this.#scheduler.hosts);
  }

  async #accept(deliveries: Delivery<FetchRequest>[]): Promise<void> {
    const now = performance.now();
    for (const delivery of deliveries) {
      const request = delivery.message;
      const { partition, offset } = delivery.record;
      if (this.#finished.alreadyFinished(partition, offset)) {
        this.#consumer.complete(delivery);
        continue;
      }
      const job = this.#options.jobs.get(request.job) ?? (await this.#awaitJob(request.job));
      if (!job || job.state === 'stopped') {
        this.#consumer.complete(delivery);
        this.#finished.finish(partition, offset);
        continue;
      }
      const target = targetOf(request, job);
      const task: CrawlTask = {
        delivery,
        request,
        job,
        host: 'host' in target ? target.host : (delivery.record.key ?? ''),
        origin: 'url' in target ? target.url.origin : '',
        partition,
        generation: this.#generation.get(partition) ?? 0,
        enqueuedAt: now,
      };
      this.#changeLoad(partition, +1);
      if ('errorClass' in target) {
        // Reported at once, so the frontier records it instead of leasing it out again.
        this.#metrics.fetches.inc({ outcome: target.errorClass });
        await this.#fail(task, target.errorClass, false, target.message);
        continue;
      }
      const politeness = this.#politeness(job, task.host);
      // The partition's previous owner may have fetched this host just before it let the
      // partition go. Its commit metadata says when the host may be fetched next (applied on
      // assignment); when that is missing (the owner died between commits), the new owner
      // still waits out the host's delay from its assignment, so politeness holds across owners.
      const sinceAssigned = now - (this.#assignedAt.get(partition) ?? Number.NEGATIVE_INFINITY);
      if (sinceAssigned < politeness.delayMs) {
        this.#scheduler.holdHost(task.host, politeness.delayMs - sinceAssigned);
      }
      this.#hostPartition.set(task.host, partition);
      this.#scheduler.push(task.host, task, politeness);
    }
    this.#metrics.queued.set(this.#scheduler.queued);
  }

  async #awaitJob(id: string): Promise<Job | undefined> {
    // One wait per unknown job, not one per request: a batch of them would hold up the partition for minutes.
    if (this.#unknownJobs.has(id)) return undefined;
    try {
      return await this.#options.jobs.waitFor(id, this.#options.jobWaitMs ?? 10_000);
    } catch (error) {
      this.#unknownJobs.add(id);
      this.#options.log.error({ err: error, job: id }, 'fetch requests of an unknown job are dropped');
      return undefined;
    }
  }

  #politeness(job: Job, host: string): { delayMs: number; concurrency: number } {
    const politeness = job.settings.politeness;
    const crawlDelay = Math.min(this.#crawlDelays.get(host) ?? 0, politeness.maxCrawlDelayMs);
    return { delayMs: Math.max(politeness.delayMs, crawlDelay), concurrency: politeness.concurrencyPerHost };
  }

  #changeLoad(partition: number, delta: number): void {
    const load = (this.#load.get(partition) ?? 0) + delta;
    this.#load.set(partition, load);
    // A partition on its way out stays as it is; its stream goes with it.
    if (this.#revoking.has(partition)) return;
    const buffer = this.#options.partitionBuffer ?? 64;
    const tp = { topic: this.#topics.todo, partition };
    if (delta > 0 && load >= buffer && !this.#consumer.isPaused(tp)) {
      this.#consumer.pause([tp]);
      this.#metrics.pausedPartitions.inc();
    } else if (delta < 0 && load <= buffer / 2 && this.#consumer.isPaused(tp)) {
      this.#consumer.resume([tp]);
      this.#metrics.pausedPartitions.dec();
    }
  }

  #track(task: CrawlTask): Promise<RunOutcome> {
    const run = this.#run(task);
    let running = this.#running.get(task.partition);
    if (!running) {
      running = new Set();
      this.#running.set(task.partition, running);
    }
    // What a revocation waits for: the fetch, then the sending of its outcome.
    const whole = run.then(
      () => task.sending,
      () => undefined,
    );
    running.add(whole);
    void whole.finally(() => running.delete(whole));
    this.#metrics.inFlight.set(this.#scheduler.inFlight);
    return run.finally(() => {
      this.#metrics.inFlight.set(this.#scheduler.inFlight - 1);
      this.#metrics.queued.set(this.#scheduler.queued);
    });
  }

  /** Lets the task's outcome be sent after its slot is freed; `#track` waits for it (revocation). */
  #inBackground(task: CrawlTask, work: Promise<void>): void {
    task.sending = work.catch((error: unknown) =>
      this.#options.log.error({ err: error, url: task.request.url }, 'page outcome not sent'),
    );
  }

  async #run(task: CrawlTask): Promise<RunOutcome> {
    // A task put back ('again') after its partition began to go: its next owner fetches it.
    if (!this.#owns(task) || this.#revoking.has(task.partition)) return 'done';
    try {
      return await this.#crawl(task);
    } catch (error) {
      // Every request ends with an outcome: an unfinished one would hold back the committed
      // offset of its whole partition. Not a verdict on the page, so it may be tried again.
      this.#options.log.error({ err: error, url: task.request.url, job: task.job.id }, 'crawl failed');
      this.#metrics.fetches.inc({ outcome: 'aborted' });
      const reason = error instanceof Error ? error.message : String(error);
      await this.#fail(task, 'aborted', true, `crawler error: ${reason}`);
      return 'done';
    }
  }

  async #crawl(task: CrawlTask): Promise<RunOutcome> {
    const { job, request } = task;
    const { fetcher, robots, addresses } = this.#clients.for(job);
    if (job.settings.politeness.respectRobots) {
      if (!robots.isFresh(task.origin)) {
        try {
          await addresses.assertAllowed(new URL(request.url));
        } catch (error) {
          if (!(error instanceof FetchError)) throw error;
          this.#metrics.fetches.inc({ outcome: error.errorClass });
          await this.#fail(task, error.errorClass, error.retryable, error.message);
          return 'done';
        }
        // robots.txt is a request to the host like any other: fetched in the page's slot, and
        // the host's delay (now with its Crawl-delay) runs before the page itself.
        const rules = await robots.get(task.origin);
        const crawlDelay = rules.crawlDelayMs();
        if (crawlDelay !== undefined) this.#crawlDelays.set(task.host, crawlDelay);
        this.#scheduler.setPoliteness(task.host, this.#politeness(job, task.host));
        const sitemaps = rules.sitemaps();
        if (sitemaps.length > 0) this.#sitemapsToReport.set(task.origin, sitemaps);
        this.#robotsReports.remember(task.origin, rules, robots.expiresAt(task.origin));
        return 'again';
      }
      const rules = await robots.get(task.origin);
      if (!rules.isAllowed(request.url)) {
        // An unreachable robots.txt disallows everything only until it is fetched again (RFC 9309).
        const unreachable = rules.source === 'unreachable';
        const reason = unreachable
          ? `${task.origin}/robots.txt is unreachable`
          : `disallowed by ${task.origin}/robots.txt`;
        await this.#fail(task, 'robots', unreachable, reason);
        return 'skipped';
      }
    }
    const started = performance.now();
    this.#metrics.politenessWait.observe((started - task.enqueuedAt) / 1_000);
    const scope = this.#scope(job);
    try {
      const response = await fetcher.fetch(request.url, {
        ...(request.validators ? { validators: request.validators } : {}),
        ...(this.#options.keepRawResponses ? { keepRaw: true } : {}),
        bodyFor: wantsBody,
        checkRedirect: (target) => {
          const verdict = scope.check(target, request.depth);
          if (!verdict.ok) throw new OutOfScopeRedirect(target, verdict.reason);
        },
      });
      this.#metrics.duration.observe(response.timings.totalMs / 1_000);
      this.#metrics.bytes.inc(response.bytesOnWire);
      const failure = classifyStatus(response.status, response.headers);
      if (failure?.retryable) {
        if (failure.retryAfterMs !== undefined) this.#scheduler.holdHost(task.host, failure.retryAfterMs);
        this.#metrics.fetches.inc({ outcome: `${Math.floor(response.status / 100)}xx` });
        await this.#fail(
          task,
          'http_status',
          true,
          `HTTP ${response.status}`,
          response.status,
          failure.retryAfterMs,
        );
        return 'done';
      }
      const { event, document } = handlePage(request, job, response, Date.now(), this.#robotsToken);
      const sitemaps = this.#sitemapsToReport.get(task.origin);
      if (sitemaps) {
        event.sitemaps = fitSitemaps([...(event.sitemaps ?? []), ...sitemaps]);
        this.#sitemapsToReport.delete(task.origin);
      }
      const hooked = await this.#options.pageHook?.({ request, job, response, event, document });
      if (hooked && 'failure' in hooked) {
        const { errorClass, retryable, message } = hooked.failure;
        this.#metrics.fetches.inc({ outcome: errorClass });
        await this.#fail(task, errorClass, retryable, message, response.status);
        return 'done';
      }
      this.#robotsReports.attachTo(event, task.origin);
      this.#metrics.fetches.inc({ outcome: `${Math.floor(response.status / 100)}xx` });
      this.#metrics.links.inc(event.links.length);
      const records: OutgoingRecord[] = [
        { topic: this.#topics.events, key: task.host, value: encodeMessage(event), decoded: event },
      ];
      if (document)
        records.push({ topic: this.#topics.pages, key: request.fp, value: encodeMessage(document) });
      if (hooked) records.push(...hooked.records);
      // The host's slot is free once its page is in: the outcome is sent meanwhile (its offset
      // completes when the bus has it), so a host's next request does not wait for a round
      // trip to the brokers. Revocation waits for these sends like for running fetches.
      this.#inBackground(task, this.#publish(task, records));
    } catch (error) {
      if (error instanceof OutOfScopeRedirect || error instanceof FetchError) {
        const errorClass: ErrorClass = error instanceof FetchError ? error.errorClass : 'out_of_scope';
        const retryable = error instanceof FetchError ? error.retryable : false;
        this.#metrics.fetches.inc({ outcome: errorClass });
        await this.#fail(task, errorClass, retryable, error.message, undefined, undefined);
      } else {
        throw error;
      }
    }
    return 'done';
  }

  async #fail(
    task: CrawlTask,
    errorClass: ErrorClass,
    retryable: boolean,
    message: string,
    status?: number,
    retryAfterMs?: number,
  ): Promise<void> {
    const { request } = task;
    const failure: FetchFailed = {
      type: 'fetch.failed',
      ...requestIdentity(request),
      errorClass,
      retryable,
      message: message.slice(0, 2_000),
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      failedAt: Date.now(),
    };
    if (errorClass === 'robots') this.#metrics.fetches.inc({ outcome: 'robots' });
    await this.#publish(task, [
      { topic: this.#topics.events, key: task.host, value: encodeMessage(failure), decoded: failure },
    ]);
  }

  /**
   * Sends the task's outputs, then lets its offset be committed. A failing bus (a broker
   * restart, a leader election) is retried with backoff for as long as this worker owns the
   * partition: giving up would leave the offset open, and with it the commit of every later
   * request of the partition, until the next rebalance. Once the partition has moved on, its
   * new owner fetches the request again; nothing is lost.
   */
  async #publish(task: CrawlTask, records: OutgoingRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#producer.send(records);
        break;
      } catch (error) {
        if (!this.#owns(task) || !this.#started) {
          this.#options.log.warn(
            { err: error, url: task.request.url, partition: task.partition },
            'page outcome not sent and its partition has moved on; its next owner fetches it again',
          );
          return;
        }
        if (attempt === 1 || attempt % 10 === 0) {
          this.#options.log.warn(
            { err: error, url: task.request.url, partition: task.partition, attempt },
            'page outcome not sent yet; retrying',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
    // A task of an earlier assignment of the partition neither completes (its offsets are
    // another member's now) nor counts against the partition's buffer (cleared at revoke).
    if (!this.#owns(task)) return;
    this.#consumer.complete(task.delivery);
    this.#finished.finish(task.partition, task.delivery.record.offset);
    this.#changeLoad(task.partition, -1);
  }

  /** Whether the task's partition is still held in the assignment the task came from. */
  #owns(task: CrawlTask): boolean {
    return this.#generation.get(task.partition) === task.generation;
  }

  #scope(job: Job): JobScope {
    let scope = this.#scopes.get(job.id);
    if (!scope) {
      scope = new JobScope(job);
      this.#scopes.set(job.id, scope);
    }
    return scope;
  }

  async #revoke(partitions: TopicPartition[]): Promise<void> {
    const revoked = new Set(
      partitions.filter((tp) => tp.topic === this.#topics.todo).map((tp) => tp.partition),
    );
    for (const partition of revoked) {
      this.#revoking.add(partition);
      if (this.#consumer.isPaused({ topic: this.#topics.todo, partition }))
        this.#metrics.pausedPartitions.dec();
    }
    const dropped = this.#scheduler.remove((task) => revoked.has(task.partition));
    const running = [...revoked].flatMap((partition) => [...(this.#running.get(partition) ?? [])]);
    const grace = this.#options.revokeGraceMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    clearTimeout(timer);
    // Only now: fetches that finished within the grace time have completed their offsets,
    // which the consumer commits right after this returns.
    for (const partition of revoked) {
      this.#generation.set(partition, (this.#generation.get(partition) ?? 0) + 1);
      this.#load.delete(partition);
      this.#revoking.delete(partition);
      this.#finished.revoked(partition);
    }
    this.#metrics.queued.set(this.#scheduler.queued);
    this.#options.log.info(
      { partitions: [...revoked], droppedQueued: dropped.length, finishedRunning: running.length },
      'partitions revoked',
    );
  }
}

/** The URL and host key of a request, or why it cannot be fetched at all. */
function targetOf(
  request: FetchRequest,
  job: Job,
): { url: URL; host: string } | { errorClass: ErrorClass; message: string } {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { errorClass: 'protocol', message: `invalid URL ${request.url}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      errorClass: 'unsupported_scheme',
      message: `only http and https URLs are fetched, not ${request.url}`,
    };
  }
  try {
    return { url, host: hostKey(url, job.settings.hostKey) };
  } catch (error) {
    return { errorClass: 'protocol', message: `no host key for ${request.url}: ${(error as Error).message}` };
  }
}
