import type { Bus, Producer } from '@kraul/bus';
import type { LookupFunction } from '@kraul/fetch';
import { type FetchRequest, groupId, topicNames } from '@kraul/protocol';
import { type Delivery, JobLookup, type JobRegistry, TopicConsumer } from '@kraul/runtime';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import type { CrawlTask } from './crawl-task.ts';
import { FetchClientPool, type FetchClientSettings } from './fetch-clients.ts';
import { FetchPipeline, targetOf } from './fetch-pipeline.ts';
import { type HostRun, HostScheduler, type RunOutcome } from './host-scheduler.ts';
import { crawlerMetrics } from './metrics.ts';
import { OutcomePublisher } from './outcome-publisher.ts';
import type { PageHook } from './page-hook.ts';
import { PartitionFlow } from './partition-flow.ts';

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

/**
 * The crawler role: a member of the crawlers group on the todo topic. It fetches the requests
 * of its partitions politely (per-host queues, delay, robots.txt) under a global cap, and
 * reports each page or failure on the events topic before the request's offset may be committed.
 *
 * Wiring of three parts: the partition flow (membership, buffers, handover), the fetch
 * pipeline (robots.txt, fetch, page) and the outcome publisher (events, then commit).
 */
export class CrawlerWorker {
  readonly #options: CrawlerWorkerOptions;
  readonly #producer: Producer;
  readonly #consumer: TopicConsumer<FetchRequest>;
  readonly #scheduler: HostScheduler<CrawlTask>;
  readonly #clients: FetchClientPool;
  readonly #metrics: ReturnType<typeof crawlerMetrics>;
  readonly #flow: PartitionFlow;
  readonly #publisher: OutcomePublisher;
  readonly #pipeline: FetchPipeline;
  /** Waits for a job a request names before it is known; its requests are dropped if it never comes. */
  readonly #jobLookup: JobLookup;
  #started = false;
  #gaugeTimer: NodeJS.Timeout | undefined;

  constructor(options: CrawlerWorkerOptions) {
    this.#options = options;
    this.#jobLookup = new JobLookup(options.jobs, {
      ...(options.jobWaitMs === undefined ? {} : { timeoutMs: options.jobWaitMs }),
      onUnknown: (job, error) =>
        options.log.error({ err: error, job }, 'fetch requests of an unknown job are dropped'),
    });
    const prefix = options.prefix ?? 'kraul';
    const topics = topicNames(prefix);
    const robotsToken = options.robotsToken ?? 'kraul';
    this.#producer = options.bus.producer({ clientId: 'kraul-crawler' });
    this.#metrics = crawlerMetrics(options.metrics);
    this.#clients = new FetchClientPool({
      userAgent: options.userAgent,
      robotsToken,
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
    const partitionBuffer = options.partitionBuffer ?? 64;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 2_500;
    this.#consumer = new TopicConsumer<FetchRequest>({
      bus: options.bus,
      producer: this.#producer,
      topics,
      role: 'todo',
      groupId: groupId(prefix, 'crawlers'),
      log: options.log,
      // Batches no larger than the buffer: a partition is paused between batches, so this
      // bounds what one partition holds to less than two buffers' worth.
      consumer: { sessionTimeoutMs, maxBatchRecords: partitionBuffer },
      onMessages: (deliveries) => this.#accept(deliveries),
      onAssigned: (partitions, committed) => this.#flow.assigned(partitions, committed),
      commitMetadata: (tp) => this.#flow.handover(tp.partition),
      onRevoked: (partitions) => this.#flow.revoke(partitions),
      onDeadLetter: () => this.#metrics.deadLetters.inc(),
    });
    this.#flow = new PartitionFlow({
      topic: topics.todo,
      consumer: this.#consumer,
      scheduler: this.#scheduler,
      metrics: this.#metrics,
      log: options.log,
      partitionBuffer,
      revokeGraceMs: options.revokeGraceMs ?? 15_000,
      sessionTimeoutMs,
    });
    this.#publisher = new OutcomePublisher({
      producer: this.#producer,
      eventsTopic: topics.events,
      flow: this.#flow,
      log: options.log,
      metrics: this.#metrics,
      running: () => this.#started,
    });
    this.#pipeline = new FetchPipeline({
      clients: this.#clients,
      scheduler: this.#scheduler,
      publisher: this.#publisher,
      metrics: this.#metrics,
      log: options.log,
      eventsTopic: topics.events,
      pagesTopic: topics.pages,
      robotsToken,
      ...(options.pageHook ? { pageHook: options.pageHook } : {}),
      ...(options.keepRawResponses ? { keepRawResponses: true } : {}),
    });
    options.jobs.onChange((job) => {
      this.#pipeline.forgetJob(job.id);
    });
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
      if (this.#flow.skipFinished(delivery)) continue;
      const request = delivery.message;
      const { partition } = delivery.record;
      const job = this.#options.jobs.get(request.job) ?? (await this.#jobLookup.wait(request.job));
      if (!job || job.state === 'stopped') {
        this.#flow.drop(delivery);
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
        generation: this.#flow.generation(partition),
        enqueuedAt: now,
      };
      this.#flow.taken(task);
      if ('errorClass' in target) {
        // Reported at once, so the frontier records it instead of leasing it out again.
        this.#metrics.fetches.inc({ outcome: target.errorClass });
        await this.#publisher.fail(task, { ...target, retryable: false });
        continue;
      }
      const politeness = this.#pipeline.politeness(job, task.host);
      // The partition's previous owner may have fetched this host just before it let the
      // partition go. Its commit metadata says when the host may be fetched next (applied on
      // assignment); unless that handover is complete (the owner gave the partition up with
      // nothing running), a host may be missing from it (the owner died between commits), so
      // the new owner waits out the host's delay from its assignment: politeness holds across owners.
      const sinceAssigned = this.#flow.sinceAssigned(partition, now);
      if (sinceAssigned < politeness.delayMs && !this.#flow.handedOverComplete(partition)) {
        this.#scheduler.holdHost(task.host, politeness.delayMs - sinceAssigned);
      }
      this.#scheduler.push(task.host, task, politeness, task.request.hostProgress);
    }
    this.#metrics.queued.set(this.#scheduler.queued);
  }

  #track(task: CrawlTask): Promise<RunOutcome> {
    this.#metrics.inFlight.set(this.#scheduler.inFlight);
    return this.#flow.track(task, this.#run(task)).finally(() => {
      this.#metrics.inFlight.set(this.#scheduler.inFlight - 1);
      this.#metrics.queued.set(this.#scheduler.queued);
    });
  }

  async #run(task: CrawlTask): Promise<RunOutcome> {
    // A task put back ('again') after its partition began to go: its next owner fetches it.
    if (!this.#flow.mayStart(task)) return 'done';
    try {
      return await this.#pipeline.crawl(task);
    } catch (error) {
      // Every request ends with an outcome: an unfinished one would hold back the committed
      // offset of its whole partition. Not a verdict on the page, so it may be tried again.
      this.#options.log.error({ err: error, url: task.request.url, job: task.job.id }, 'crawl failed');
      this.#metrics.fetches.inc({ outcome: 'aborted' });
      const reason = error instanceof Error ? error.message : String(error);
      await this.#publisher.fail(task, {
        errorClass: 'aborted',
        retryable: true,
        message: `crawler error: ${reason}`,
      });
      return 'done';
    }
  }
}
