import { createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { type Bus, type BusAdmin, createMemoryBus, type Producer } from '@kraul/bus';
import { CrawlerWorker, type CrawlerWorkerOptions } from '@kraul/crawl';
import { FrontierWorker, type FrontierWorkerOptions } from '@kraul/frontier';
import {
  encodeMessage,
  groupId,
  type Item,
  type Job,
  type PageDocument,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { awaitJob, JobRegistry, kraulTopicSpecs, readJobCompletion, TopicConsumer } from '@kraul/runtime';
import { claimDataDir, type ReasonCounts, type UrlState } from '@kraul/store';
import { StrategyWorker } from '@kraul/strategy';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { CliUsageError } from '../errors.ts';
import { publishSeeds, type SeedUrl } from '../seed-publisher.ts';

export interface EmbeddedCrawlOptions {
  job: Job;
  /** Folder of the crawl's state (the frontier's sqlite files): a stopped crawl resumes from it. */
  dataDir: string;
  /** Delete the state of a previous run first: kraul's own files in dataDir, nothing else. */
  fresh?: boolean;
  log: Logger;
  metrics: MetricsRegistry;
  /** Partitions of the in-process topics. Default: 4. */
  partitions?: number;
  /** Appends every page document of the job to this file, one JSON object per line. */
  outFile?: string;
  /** Appends every item of the job (a crawl definition's output) to this file, one JSON object per line, each once. */
  itemsFile?: string;
  /** Leaves pages whose robots directives say noindex out of `outFile` (they are still crawled). */
  skipNoindex?: boolean;
  crawler: Omit<CrawlerWorkerOptions, 'bus' | 'jobs' | 'log' | 'metrics'>;
  frontier?: Omit<FrontierWorkerOptions, 'bus' | 'jobs' | 'log' | 'metrics' | 'dataDir'>;
}

export interface CrawlProgress {
  counts: Record<UrlState, number>;
  inFlight: number;
  /** Milliseconds since start. */
  elapsedMs: number;
}

/** The topic prefix of an embedded crawl, and of its state folder's manifest. */
export const EMBEDDED_PREFIX = 'kraul';
const PREFIX = EMBEDDED_PREFIX;

/**
 * `kraul run`: the three roles in one process on the in-memory bus, with the same topics,
 * keys, partitions and group semantics as a cluster, and the frontier's state in sqlite files.
 */
export class EmbeddedCrawl {
  readonly #options: EmbeddedCrawlOptions;
  readonly #bus: Bus;
  readonly #topics: TopicNames = topicNames(PREFIX);
  readonly #started = performance.now();
  #admin: BusAdmin | undefined;
  #producer: Producer | undefined;
  #jobs: JobRegistry | undefined;
  #strategy: StrategyWorker | undefined;
  #frontier: FrontierWorker | undefined;
  #crawler: CrawlerWorker | undefined;
  #pages: TopicConsumer<PageDocument> | undefined;
  #items: TopicConsumer<Item> | undefined;
  #out: WriteStream | undefined;
  #itemsOut: WriteStream | undefined;
  #itemsWritten = 0;
  /** The frontier's counts when it stopped (its stores are closed afterwards). */
  #finalCounts: Record<UrlState, number> | undefined;
  #finalReasons: ReasonCounts | undefined;
  #stopping = false;
  #noindexSkipped = 0;

  constructor(options: EmbeddedCrawlOptions) {
    this.#options = options;
    this.#bus = createMemoryBus();
  }

  /**
   * Starts every role and seeds the job. Throws a DataDirError, having changed nothing, when
   * dataDir is not this job's state folder, and the frontier's failure when a shard will not open.
   */
  async start(seeds: readonly SeedUrl[]): Promise<void> {
    const { job, log, metrics } = this.#options;
    // First of all: a folder kraul may not use is refused before anything is written to it.
    claimDataDir(this.#options.dataDir, {
      prefix: PREFIX,
      job: job.id,
      ...(this.#options.fresh ? { fresh: true } : {}),
    });
    // Opened before anything starts: a file that cannot be written fails the start with a
    // message, not the process later with an unhandled stream error.
    const out = this.#options.outFile === undefined ? undefined : openOutput(this.#options.outFile);
    const itemsOut = this.#options.itemsFile === undefined ? undefined : openOutput(this.#options.itemsFile);
    this.#admin = this.#bus.admin();
    await this.#admin.createTopics(kraulTopicSpecs(PREFIX, this.#options.partitions ?? 4, 1));
    this.#producer = this.#bus.producer({ clientId: 'kraul-run' });
    await this.#producer.send([{ topic: this.#topics.jobs, key: job.id, value: encodeMessage(job) }]);
    this.#jobs = new JobRegistry({ bus: this.#bus, topics: this.#topics, groupPrefix: PREFIX, log });
    await this.#jobs.start();

    const shared = { bus: this.#bus, jobs: this.#jobs, log, metrics, prefix: PREFIX };
    this.#frontier = new FrontierWorker({
      ...shared,
      dataDir: this.#options.dataDir,
      releaseLeasesOnOpen: true,
      // Counts reach awaitJob through the in-memory jobs topic: reported often, a crawl ends soon.
      progressIntervalMs: 100,
      ...this.#options.frontier,
    });
    this.#strategy = new StrategyWorker(shared);
    this.#crawler = new CrawlerWorker({ ...shared, ...this.#options.crawler });
    if (out) this.#startOutput(out);
    if (itemsOut) this.#startItems(itemsOut);
    await this.#frontier.start();
    // The in-memory group assigns every partition before start() returns: a shard that did
    // not open has failed the frontier by now.
    if (this.#frontier.failure) {
      const failure = this.#frontier.failure;
      await this.#abortStart();
      throw failure;
    }
    await this.#strategy.start();
    await this.#crawler.start();
    await this.#pages?.start();
    await this.#items?.start();
    await publishSeeds(this.#producer, this.#topics, job.id, seeds, 'cli');
  }

  progress(): CrawlProgress {
    return {
      counts: this.#finalCounts ??
        this.#frontier?.counts(this.#options.job.id) ?? {
          queued: 0,
          inflight: 0,
          done: 0,
          failed: 0,
          dropped: 0,
        },
      inFlight: this.#crawler?.stats().inFlight ?? 0,
      elapsedMs: performance.now() - this.#started,
    };
  }

  /** Items written to `itemsFile` by this run. */
  itemsWritten(): number {
    return this.#itemsWritten;
  }

  /** Page documents left out of the output because they are marked noindex (`skipNoindex`). */
  noindexSkipped(): number {
    return this.#noindexSkipped;
  }

  /** Failed and dropped URLs of the job per reason. */
  reasonCounts(): ReasonCounts {
    return (
      this.#finalReasons ?? this.#frontier?.reasonCounts(this.#options.job.id) ?? { failed: {}, dropped: {} }
    );
  }

  /** True when the job is done by the check of `awaitJob` (one look, no waiting). */
  async isIdle(): Promise<boolean> {
    const job = this.#jobs?.get(this.#options.job.id);
    if (!this.#jobs || !job) return false;
    const completion = await readJobCompletion(
      { bus: this.#bus, jobs: this.#jobs, topics: this.#topics, prefix: PREFIX, emptyGraceMs: 0 },
      job,
    );
    return completion.status === 'done' || completion.status === 'stopped';
  }

  /**
   * Resolves once the crawl has nothing left to do (the same check as `kraul job wait`: the
   * frontier's progress reports and the groups' lags, see `awaitJob`) and every page document
   * and item is written, or once it is being stopped: the roles it polls are closing then.
   */
  async finished(pollMs = 200): Promise<void> {
    if (!this.#jobs) return;
    await awaitJob({
      bus: this.#bus,
      jobs: this.#jobs,
      topics: this.#topics,
      prefix: PREFIX,
      id: this.#options.job.id,
      pollMs,
      // The seeds are on the events topic before this is called: their lag covers them.
      emptyGraceMs: 0,
      // A role that failed makes the crawl fail, rather than wait forever or finish with nothing done.
      cancelled: () => this.#stopping || this.#frontier?.failure !== undefined,
    });
    if (this.#frontier?.failure) throw this.#frontier.failure;
    const outputs: [string, string][] = [];
    if (this.#pages) outputs.push([this.#pages.groupId, this.#topics.pages]);
    if (this.#items) outputs.push([this.#items.groupId, this.#topics.items]);
    while (!this.#stopping && outputs.length > 0 && (await this.#lagOf(outputs)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const failure = this.#frontier?.failure;
      if (failure) throw failure;
    }
  }

  /**
   * Stops gracefully: the crawler finishes its running fetches and reports them, the strategy
   * and frontier record those reports, then everything closes. Nothing fetched is lost.
   */
  async stop(drainMs = 15_000): Promise<void> {
    this.#stopping = true;
    await this.#crawler?.stop();
    const deadline = Date.now() + drainMs;
    // A failed frontier takes nothing more: there is no lag to wait out.
    while (Date.now() < deadline && !this.#frontier?.failure && (await this.#reportsLag()) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.#strategy?.stop();
    this.#finalCounts = this.#frontier?.counts(this.#options.job.id);
    this.#finalReasons = this.#frontier?.reasonCounts(this.#options.job.id);
    await this.#frontier?.stop();
    await this.#pages?.close();
    await this.#items?.close();
    await this.#jobs?.close();
    await this.#producer?.close();
    await this.#admin?.close();
    await this.#bus.close();
    if (this.#out) await new Promise<void>((resolve) => this.#out!.end(resolve));
    if (this.#itemsOut) await new Promise<void>((resolve) => this.#itemsOut!.end(resolve));
  }

  /** Closes what start() opened before it failed; the other roles never started. */
  async #abortStart(): Promise<void> {
    this.#stopping = true;
    await this.#frontier?.stop();
    await this.#jobs?.close();
    await this.#producer?.close();
    await this.#admin?.close();
    await this.#bus.close();
    if (this.#out) await new Promise<void>((resolve) => this.#out!.end(resolve));
    if (this.#itemsOut) await new Promise<void>((resolve) => this.#itemsOut!.end(resolve));
  }

  /**
   * Reports not yet recorded: events the strategy has still to handle, decisions the frontier
   * has still to store, page documents the output has still to write. Fetch requests are left
   * out: once the crawler has stopped, nobody takes them, and the frontier hands them out
   * again when the crawl resumes.
   */
  async #reportsLag(): Promise<number> {
    const groups: [string, string][] = [
      [groupId(PREFIX, 'strategy'), this.#topics.events],
      [groupId(PREFIX, 'frontier'), this.#topics.schedule],
    ];
    if (this.#pages) groups.push([this.#pages.groupId, this.#topics.pages]);
    if (this.#items) groups.push([this.#items.groupId, this.#topics.items]);
    return this.#lagOf(groups);
  }

  async #lagOf(groups: readonly [group: string, topic: string][]): Promise<number> {
    if (!this.#admin) return 0;
    let total = 0;
    for (const [group, topic] of groups) {
      for (const partition of await this.#admin.lag(group, topic)) total += partition.lag;
    }
    return total;
  }

  #startOutput(out: WriteStream): void {
    this.#out = out;
    const jobId = this.#options.job.id;
    const skipNoindex = this.#options.skipNoindex === true;
    this.#pages = new TopicConsumer<PageDocument>({
      bus: this.#bus,
      producer: this.#producer!,
      topics: this.#topics,
      role: 'pages',
      groupId: `${PREFIX}-run-output`,
      log: this.#options.log,
      onMessages: (deliveries, consumer) => {
        for (const delivery of deliveries) {
          const { type: _type, ...page } = delivery.message;
          if (page.job !== jobId) {
            // Another job's page: not this crawl's output.
          } else if (skipNoindex && page.robots?.noindex === true) {
            this.#noindexSkipped += 1;
          } else {
            out.write(`${JSON.stringify(page)}\n`);
          }
          consumer.complete(delivery);
        }
      },
    });
  }
  #startItems(out: WriteStream): void {
    this.#itemsOut = out;
    const jobId = this.#options.job.id;
    // A page handled twice (a request delivered again) pushes the same item ids again.
    const written = new Set<string>();
    this.#items = new TopicConsumer<Item>({
      bus: this.#bus,
      producer: this.#producer!,
      topics: this.#topics,
      role: 'items',
      groupId: `${PREFIX}-run-items`,
      log: this.#options.log,
      onMessages: (deliveries, consumer) => {
        for (const delivery of deliveries) {
          const { type: _type, ...item } = delivery.message;
          if (item.job === jobId && !written.has(item.id)) {
            written.add(item.id);
            out.write(`${JSON.stringify(item)}\n`);
            this.#itemsWritten += 1;
          }
          consumer.complete(delivery);
        }
      },
    });
  }
}

/** The pages file, created if missing and appended to. */
function openOutput(file: string): WriteStream {
  try {
    mkdirSync(dirname(file), { recursive: true });
    return createWriteStream(file, { fd: openSync(file, 'a') });
  } catch (error) {
    throw new CliUsageError(
      'cli.output_unwritable',
      `--out=${file}: cannot write pages there: ${(error as Error).message}`,
      { path: file },
      { cause: error },
    );
  }
}
