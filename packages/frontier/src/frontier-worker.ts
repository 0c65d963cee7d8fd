import { join } from 'node:path';
import type { Bus, OutgoingRecord, Producer, TopicPartition } from '@kraul/bus';
import {
  encodeMessage,
  groupId,
  type Job,
  type ScheduleBatch,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import {
  type Delivery,
  JobLookup,
  type JobRegistry,
  type PartitionSetupError,
  TopicConsumer,
} from '@kraul/runtime';
import {
  addReasonCounts,
  claimDataDir,
  type FrontierShardStore,
  openSqliteShardStore,
  type ReasonCounts,
  StoreError,
  shardFileName,
  type UrlEntry,
  type UrlState,
} from '@kraul/store';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { FeedWindow, type FeedWindowOptions } from './feed-window.ts';
import { maxInflightPerHost } from './host-cap.ts';
import { HostPlacement, type HostPlacementMode } from './host-placement.ts';
import { ProgressReporter } from './progress-reporter.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
import { emptyStats, FrontierShard, fetchRequestOf } from './shard.ts';

export interface FrontierWorkerOptions {
  bus: Bus;
  jobs: JobRegistry;
  log: Logger;
  metrics: MetricsRegistry;
  /** Topic and group prefix. Default: 'kraul'. */
  prefix?: string;
  /**
   * Folder of the shard databases (one sqlite file per partition). Claimed at start: created
   * when missing, marked with a manifest of the prefix, refused when it holds anything kraul
   * did not write or the state of another prefix (claimDataDir in @kraul/store).
   */
  dataDir: string;
  /** Opens a shard's store; default: a sqlite file in dataDir. */
  openStore?: (partition: number) => FrontierShardStore;
  /**
   * Flow control per shard (docs/architecture.md, "Flow control"): the window of requests a
   * shard has out follows the completion rate of its hosts. `leaseMs` is taken from
   * the frontier's own setting.
   */
  feed?: Omit<FeedWindowOptions, 'leaseMs'>;
  /** Most URLs of one host per lease call, so big hosts cannot starve the rest. Default: 4. */
  perHostPerBatch?: number;
  /**
   * How a host's todo partition is picked before its first request (`HostPlacementMode`):
   * `balanced` spreads the hosts evenly over the partitions, `hash` keeps each on its shard's
   * own. Default: 'balanced'.
   */
  hostPlacement?: HostPlacementMode;
  /** A sent request not reported done or failed within this is sent again. Default: 600,000 ms. */
  leaseMs?: number;
  /** Pause between feeding rounds when nothing is due. Default: 250 ms. */
  feedIntervalMs?: number;
  retry?: RetryPolicy;
  /**
   * Requeue every lease of a shard when it is opened. For the embedded bus, whose records do
   * not outlive the process: what was in flight when it stopped is sent again at once.
   */
  releaseLeasesOnOpen?: boolean;
  /** Consumer session timeout. Default: 2,500 ms. */
  sessionTimeoutMs?: number;
  /** How long decisions of a job not (yet) on the jobs topic wait for it before they are skipped. Default: 10,000 ms. */
  jobWaitMs?: number;
  /** How often per-shard job counts are checked and, when changed, reported on the jobs topic. Default: 1,000 ms. */
  progressIntervalMs?: number;
}

/**
 * The frontier role: owns partitions of the schedule topic and, for each, the crawl state
 * in a shard store, whose fetch requests it sends to the todo partitions of their hosts
 * (`HostPlacement`) only while the crawlers keep up.
 */
export class FrontierWorker {
  readonly #options: FrontierWorkerOptions;
  readonly #topics: TopicNames;
  readonly #producer: Producer;
  readonly #consumer: TopicConsumer<ScheduleBatch>;
  readonly #shards = new Map<number, FrontierShard>();
  readonly #windows = new Map<number, FeedWindow>();
  readonly #placement: HostPlacement;
  readonly #metrics;
  readonly #progress: ProgressReporter;
  #feeding: Promise<void> | undefined;
  #stopped = false;
  /** When leases are next checked for expiry and the gauges refreshed. */
  #housekeepingAt = 0;
  #wake: (() => void) | undefined;
  /** Something worth a feeding round happened while no round was waiting for it. */
  #feedWanted = false;
  /**
   * Per partition, its fetch requests on their way to the broker. A round skips a partition
   * whose last send is still out, and never waits for one: a partition whose leader is away
   * holds up only itself, while the others are fed as their crawlers finish work.
   */
  readonly #sending = new Map<number, Promise<void>>();
  /** Waits for a job decisions name before it is known; its decisions are skipped if it never comes. */
  readonly #jobLookup: JobLookup;
  #failure: PartitionSetupError | undefined;
  #onFailure: ((error: PartitionSetupError) => void) | undefined;
  /** Settles with the failure that stops the role: partitions it was assigned and cannot serve. */
  readonly failed: Promise<PartitionSetupError>;

  constructor(options: FrontierWorkerOptions) {
    this.#options = options;
    this.#jobLookup = new JobLookup(options.jobs, {
      ...(options.jobWaitMs === undefined ? {} : { timeoutMs: options.jobWaitMs }),
      onUnknown: (job, error) =>
        options.log.error({ err: error, job }, 'decisions of an unknown job are skipped'),
    });
    this.failed = new Promise((resolve) => {
      this.#onFailure = resolve;
    });
    this.#placement = new HostPlacement(options.hostPlacement);
    const prefix = options.prefix ?? 'kraul';
    this.#topics = topicNames(prefix);
    // Bad window bounds are named now, not when the first partition is assigned.
    new FeedWindow(0, { ...options.feed, leaseMs: options.leaseMs ?? 600_000 });
    this.#producer = options.bus.producer({ clientId: 'kraul-frontier' });
    const m = options.metrics;
    this.#metrics = {
      decisions: m.counter('frontier_decisions_total', 'Decisions applied by outcome', ['outcome']),
      sent: m.counter('frontier_requests_sent_total', 'Fetch requests sent'),
      leasesExpired: m.counter('frontier_leases_expired_total', 'Leases that ran out, by what followed', [
        'outcome',
      ]),
      urls: m.gauge('frontier_urls', 'URLs per state in the owned shards', ['state']),
      ended: m.counter(
        'frontier_urls_ended_total',
        'URLs that ended failed or dropped, by end state and reason (the protocol reason codes: a bounded set)',
        ['state', 'reason'],
      ),
      endedNow: m.gauge(
        'frontier_urls_ended',
        'Failed and dropped URLs in the owned shards, by end state and reason',
        ['state', 'reason'],
      ),
      window: m.gauge('frontier_feed_window', 'Fetch requests a shard may have out', ['partition']),
      hostsPlaced: m.gauge(
        'frontier_hosts_placed',
        'Hosts of the owned shards per todo partition they were placed on (host placement)',
        ['partition'],
      ),
      shards: m.gauge('frontier_shards', 'Partitions owned'),
      deadLetters: m.counter(
        'frontier_dead_letters_total',
        'Invalid schedule records sent to the dead-letter topic',
      ),
    };
    this.#consumer = new TopicConsumer<ScheduleBatch>({
      bus: options.bus,
      producer: this.#producer,
      topics: this.#topics,
      role: 'schedule',
      groupId: groupId(prefix, 'frontier'),
      log: options.log,
      consumer: { sessionTimeoutMs: options.sessionTimeoutMs ?? 2_500 },
      onMessages: (deliveries, consumer) => this.#apply(deliveries, consumer),
      onAssigned: (partitions) => this.#open(partitions),
      onRevoked: (partitions) => this.#close(partitions),
      onFailure: (error) => {
        this.#failure ??= error;
        this.#onFailure?.(error);
      },
      onDeadLetter: () => this.#metrics.deadLetters.inc(),
    });
    this.#progress = new ProgressReporter({
      bus: options.bus,
      jobs: options.jobs,
      shards: this,
      topics: this.#topics,
      prefix,
      log: options.log,
      ...(options.progressIntervalMs === undefined ? {} : { intervalMs: options.progressIntervalMs }),
    });
    options.jobs.onChange(() => this.#requestFeed());
  }

  async start(): Promise<void> {
    if (this.#options.openStore === undefined) {
      claimDataDir(this.#options.dataDir, { prefix: this.#options.prefix ?? 'kraul' });
    }
    // Before any shard opens: a host's partition is chosen among all of the todo topic's.
    const admin = this.#options.bus.admin();
    try {
      const [todo] = await admin.describeTopics([this.#topics.todo]);
      this.#placement.todoPartitions = todo!.partitions;
    } finally {
      await admin.close();
    }
    await this.#consumer.start();
    this.#feeding = this.#feedLoop();
    this.#progress.start();
    this.#options.log.info({ dataDir: this.#options.dataDir }, 'frontier started');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#requestFeed();
    await this.#feeding;
    await Promise.allSettled(this.#sending.values());
    await this.#progress.stop();
    await this.#consumer.close();
    await this.#producer.close();
  }

  /** URLs per state over every owned shard, for one job or all. */
  counts(job?: string): Record<UrlState, number> {
    const total: Record<UrlState, number> = { queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0 };
    for (const shard of this.#shards.values()) {
      const counts = shard.store.counts(job);
      for (const state of Object.keys(total) as UrlState[]) total[state] += counts[state];
    }
    return total;
  }

  /** Failed and dropped URLs per reason over every owned shard, for one job or all. */
  reasonCounts(job?: string): ReasonCounts {
    const total: ReasonCounts = { failed: {}, dropped: {} };
    for (const shard of this.#shards.values()) addReasonCounts(total, shard.store.reasonCounts(job));
    return total;
  }

  /** Set once the role cannot go on (a shard that would not open); its host should stop it. */
  get failure(): PartitionSetupError | undefined {
    return this.#failure;
  }

  /** URLs per state of one owned shard for one job; undefined when the partition is not owned. */
  shardCounts(partition: number, job: string): Record<UrlState, number> | undefined {
    return this.#shards.get(partition)?.store.counts(job);
  }

  ownedPartitions(): number[] {
    return [...this.#shards.keys()].sort((a, b) => a - b);
  }

  #open(partitions: TopicPartition[]): void {
    const now = Date.now();
    try {
      for (const { partition } of partitions) this.#openShard(partition, now);
    } catch (error) {
      // All or nothing: the consumer takes none of these partitions' records now.
      for (const { partition } of partitions) {
        this.#shards.get(partition)?.store.close();
        this.#shards.delete(partition);
        this.#windows.delete(partition);
        this.#placement.closed(partition);
      }
      throw error;
    } finally {
      this.#metrics.shards.set(this.#shards.size);
    }
    this.#requestFeed();
  }

  #openShard(partition: number, now: number): void {
    const store = this.#options.openStore?.(partition) ?? this.#openSqlite(partition);
    const shard = new FrontierShard(store, this.#options.retry ?? DEFAULT_RETRY_POLICY);
    this.#shards.set(partition, shard);
    this.#placement.opened(store);
    // The previous owner stopped between leasing and a confirmed send: those fetch requests may
    // never have reached the crawlers, and would wait for their leases to run out.
    const unsent = store.requeueUnsent(now);
    if (unsent > 0)
      this.#options.log.info(
        { partition, requeued: unsent },
        'leases whose send was not confirmed queued again',
      );
    if (this.#options.releaseLeasesOnOpen) {
      const released = shard.releaseAllLeases(now);
      if (released > 0)
        this.#options.log.info({ partition, released }, 'leases of a previous run sent again');
    }
    // Leases of the previous owner are outstanding but not this window's: see FeedWindow.
    const inherited = store.counts().inflight;
    if (inherited > 0)
      this.#options.log.info({ partition, inherited }, 'leases of the previous owner in flight');
    this.#windows.set(
      partition,
      new FeedWindow(now, { ...this.#options.feed, leaseMs: this.#options.leaseMs ?? 600_000, inherited }),
    );
  }

  /** Puts leased entries that were not sent back in the queue, and says why. */
  #requeue(shard: FrontierShard, entries: readonly UrlEntry[], error: unknown, message: string): void {
    const { partition } = shard;
    const failedAt = Date.now();
    try {
      shard.store.transaction(() => {
        for (const entry of entries) shard.store.requeue(entry.fp, failedAt);
      });
    } catch (requeueError) {
      // Their leases run out and they are sent again then: late, never lost.
      this.#options.log.error(
        { err: requeueError, partition, records: entries.length },
        'fetch requests not sent could not be put back',
      );
    }
    this.#options.log.warn({ err: error, partition, records: entries.length }, message);
  }

  /** Records a lease's fetch requests as sent, so a restart does not send them again. */
  #confirmSent(shard: FrontierShard, lease: string | undefined): void {
    // Released all the same when the shard opens again: a write per send for nothing.
    if (lease === undefined || this.#options.releaseLeasesOnOpen) return;
    try {
      shard.store.markSent(lease);
    } catch (error) {
      // A restart then sends this batch again: a few duplicate fetches, nothing lost.
      this.#options.log.warn(
        { err: error, partition: shard.partition },
        'a sent lease could not be recorded',
      );
    }
  }

  #openSqlite(partition: number): FrontierShardStore {
    const path = join(this.#options.dataDir, shardFileName(partition));
    try {
      return openSqliteShardStore({ path, partition });
    } catch (error) {
      if (error instanceof StoreError && error.context['path'] !== undefined) throw error;
      throw new StoreError(
        'store.open_failed',
        `cannot open the shard store of partition ${partition} at ${path}: ${(error as Error).message}`,
        { partition, path },
        { cause: error },
      );
    }
  }

  async #close(partitions: TopicPartition[]): Promise<void> {
    const closing: [FrontierShard, Promise<void> | undefined][] = [];
    for (const { partition } of partitions) {
      const shard = this.#shards.get(partition);
      // Out of the maps first, so no round leases from it while its last send settles.
      this.#shards.delete(partition);
      this.#windows.delete(partition);
      this.#placement.closed(partition);
      if (shard) closing.push([shard, this.#sending.get(partition)]);
    }
    this.#metrics.shards.set(this.#shards.size);
    // A send still out ends before its store closes: one that failed puts its URLs back.
    await Promise.allSettled(closing.map(([, sending]) => sending));
    for (const [shard] of closing) shard.store.close();
  }

  #jobTotal = (job: string): number => {
    let total = 0;
    for (const shard of this.#shards.values()) total += shard.store.jobTotal(job);
    return total;
  };

  async #apply(deliveries: Delivery<ScheduleBatch>[], consumer: TopicConsumer<ScheduleBatch>): Promise<void> {
    const stats = emptyStats();
    const jobs: (Job | undefined)[] = [];
    for (const delivery of deliveries)
      jobs.push(
        this.#options.jobs.get(delivery.message.job) ?? (await this.#jobLookup.wait(delivery.message.job)),
      );
    // Looked up after the waits: a partition may have been revoked (and its store closed) meanwhile.
    const byShard = new Map<FrontierShard, { job: Job; decisions: ScheduleBatch['decisions'] }[]>();
    for (const [index, delivery] of deliveries.entries()) {
      const job = jobs[index];
      const shard = this.#shards.get(delivery.record.partition);
      if (!shard || !job) continue;
      const batches = byShard.get(shard) ?? [];
      batches.push({ job, decisions: delivery.message.decisions });
      byShard.set(shard, batches);
    }
    // One store transaction per shard and poll.
    const now = Date.now();
    for (const [shard, batches] of byShard) shard.applyAll(batches, this.#jobTotal, now, stats);
    // The store transaction is durable before the offsets move: a crash replays, never skips.
    for (const delivery of deliveries) consumer.complete(delivery);
    for (const [outcome, count] of Object.entries(stats))
      if (typeof count === 'number' && count > 0) this.#metrics.decisions.inc({ outcome }, count);
    for (const [key, count] of stats.ended) {
      const [state, reason] = key.split('/') as [string, string];
      this.#metrics.ended.inc({ state, reason }, count);
    }
    if (stats.invalid > 0)
      this.#options.log.warn({ invalid: stats.invalid }, 'decisions of URLs without a host key skipped');
    // New URLs, and completions that free room in a partition's window, are fed at once.
    if (stats.added + stats.retried + stats.done + stats.failed + stats.dropped > 0) this.#requestFeed();
  }

  /** Runs a feeding round soon: now if the loop waits, else right after the round in progress. */
  #requestFeed(): void {
    this.#feedWanted = true;
    this.#wake?.();
  }

  async #feedLoop(): Promise<void> {
    const interval = this.#options.feedIntervalMs ?? 250;
    while (!this.#stopped) {
      let sent = 0;
      this.#feedWanted = false;
      try {
        sent = this.#feedRound();
      } catch (error) {
        this.#options.log.warn({ err: error }, 'feeding round failed; trying again');
      }
      if (this.#stopped) break;
      // A round that sent something may have left credit and due URLs, and a request for a
      // round may have come while this one ran: go on at once, after I/O.
      if (sent > 0 || this.#feedWanted) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One round over the owned partitions; returns how many requests it leased and began to send. */
  #feedRound(): number {
    if (this.#shards.size === 0) return 0;
    const jobs = new Map(this.#options.jobs.all().map((job) => [job.id, job]));
    const activeJobs = [...jobs.values()].filter((job) => job.state === 'active');
    const active = activeJobs.map((job) => job.id);
    const leaseMs = this.#options.leaseMs ?? 600_000;
    const hostCap = maxInflightPerHost(activeJobs, leaseMs);
    let sentTotal = 0;
    const now = Date.now();
    // Leases and gauges are looked at every so often, not on every round: rounds follow each
    // other at once while there is credit and due URLs.
    const housekeeping = now >= this.#housekeepingAt;
    if (housekeeping) this.#housekeepingAt = now + Math.min(1_000, leaseMs / 10);
    for (const shard of this.#shards.values()) {
      if (housekeeping) {
        const expired = shard.expireLeases(jobs, now);
        if (expired.resent > 0) this.#metrics.leasesExpired.inc({ outcome: 'resent' }, expired.resent);
        if (expired.failed > 0) this.#metrics.leasesExpired.inc({ outcome: 'failed' }, expired.failed);
      }
      const window = this.#windows.get(shard.partition);
      if (!window || active.length === 0 || this.#sending.has(shard.partition)) continue;
      const credit = window.credit(now, shard.store.counts().inflight);
      if (housekeeping) this.#metrics.window.set({ partition: String(shard.partition) }, window.size);
      if (credit === 0) continue;
      const perHost = this.#options.perHostPerBatch ?? 4;
      const hostBound = Math.min(hostCap ?? Number.MAX_SAFE_INTEGER, window.hostShare(perHost));
      const leased = shard.lease(
        {
          now,
          limit: credit,
          perHost,
          leaseMs,
          jobs: active,
          maxInflightPerHost: hostBound,
          // A host at its bound gets a lease's worth at a time, not a URL per completion.
          minHostRoom: Math.min(perHost, hostBound),
        },
        (job) => jobs.get(job)?.settings.politeness.respectRobots ?? true,
      );
      if (leased.dropped > 0) this.#metrics.decisions.inc({ outcome: 'robots' }, leased.dropped);
      const entries = leased.send;
      // Due URLs left behind although there was credit: their hosts hold their share of the
      // window (or their politeness bound), which holds the feed back as a full window does.
      const heldBack = entries.length + leased.dropped < credit && shard.store.readyCount(active) > 0;
      if (entries.length === 0) {
        // Credit taken by URLs robots.txt refused counts as filled: there may be more due.
        window.sent(0, leased.dropped > 0 || heldBack);
        if (leased.dropped > 0) sentTotal += leased.dropped;
        continue;
      }
      const { partition } = shard;
      let records: OutgoingRecord[];
      try {
        const todoPartitions = this.#placement.partitionsOf(shard.store, entries);
        records = entries.map((entry, index) => {
          const request = fetchRequestOf(entry);
          return {
            topic: this.#topics.todo,
            key: entry.hostKey,
            partition: todoPartitions[index]!,
            value: encodeMessage(request),
            decoded: request,
          };
        });
      } catch (error) {
        // No partition could be recorded for a new host: nothing is sent, the URLs go back.
        this.#requeue(shard, entries, error, 'fetch requests not sent: their hosts could not be placed');
        continue;
      }
      const sending = this.#producer.send(records).then(
        () => {
          this.#metrics.sent.inc(records.length);
          window.sent(records.length, records.length === credit || heldBack);
          this.#confirmSent(shard, entries[0]!.lease);
        },
        // Not sent: back to the queue now rather than waiting for the leases to run out.
        (error: unknown) => this.#requeue(shard, entries, error, 'fetch requests not sent'),
      );
      this.#sending.set(
        partition,
        sending.finally(() => {
          this.#sending.delete(partition);
          this.#requestFeed();
        }),
      );
      sentTotal += records.length;
    }
    if (housekeeping) {
      for (const [state, count] of Object.entries(this.counts())) this.#metrics.urls.set({ state }, count);
      this.#metrics.hostsPlaced.reset();
      for (const [partition, hosts] of this.#placement.load())
        this.#metrics.hostsPlaced.set({ partition: String(partition) }, hosts);
      const reasons = this.reasonCounts();
      // Reset and set in one synchronous step: a scrape sees the old values or the new, and a
      // reason whose count fell to zero leaves no stale sample.
      this.#metrics.endedNow.reset();
      for (const state of ['failed', 'dropped'] as const) {
        for (const [reason, count] of Object.entries(reasons[state])) {
          this.#metrics.endedNow.set({ state, reason }, count);
        }
      }
    }
    return sentTotal;
  }
}
