import type { Bus, OutgoingRecord, Producer } from '@kraul/bus';
import {
  type Decision,
  deadLetterFor,
  encodeMessage,
  groupId,
  type Job,
  type Message,
  type ScheduleBatch,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { type Delivery, type JobRegistry, TopicConsumer } from '@kraul/runtime';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { loadStrategy } from './load.ts';
import { Planner } from './planner.ts';
import { RecentUrls } from './recent-urls.ts';
import { JobScope } from './scope.ts';
import { SequenceTraps } from './sequence-traps.ts';
import type { CrawlStrategy } from './types.ts';

export interface StrategyWorkerOptions {
  bus: Bus;
  jobs: JobRegistry;
  log: Logger;
  metrics: MetricsRegistry;
  /** Topic and group prefix. Default: 'kraul'. */
  prefix?: string;
  /** Fingerprints of recently scheduled URLs to remember. Default: 100,000. */
  recentUrls?: number;
  /** Where relative strategy module paths are resolved. Default: the working directory. */
  cwd?: string;
  /** Consumer session timeout. Default: 2,500 ms. */
  sessionTimeoutMs?: number;
  /** How long an event of a job not (yet) on the jobs topic waits for it (a seed may be published before its job) before it goes to the dead-letter topic. Default: 10,000 ms. */
  jobWaitMs?: number;
  /**
   * Largest schedule record value, in bytes: a page whose decisions for one partition take
   * more (a sitemap of 50,000 URLs) is sent as several records. Keep it under the broker's
   * `message.max.bytes`. Default: 512 KiB.
   */
  maxRecordBytes?: number;
  /** Longest pause between attempts to send schedule records the bus refused. Default: 5,000 ms. */
  maxSendBackoffMs?: number;
}

interface JobPlan {
  job: Job;
  scope: JobScope;
  strategy: CrawlStrategy;
  /** Counting chains per host of this job, to recognise traps (bounded: see SequenceTraps). */
  traps: SequenceTraps;
}

/**
 * The strategy role: reads crawl events, applies each job's scope and scoring, and sends
 * the frontier its decisions, one schedule record per destination partition per page.
 */
export class StrategyWorker {
  readonly #options: StrategyWorkerOptions;
  readonly #topics: TopicNames;
  readonly #producer: Producer;
  readonly #consumer: TopicConsumer;
  readonly #recent: RecentUrls;
  readonly #plans = new Map<string, Promise<JobPlan>>();
  readonly #metrics;
  readonly #groupId: string;
  #partitions = 0;
  #stopping = false;

  constructor(options: StrategyWorkerOptions) {
    this.#options = options;
    const prefix = options.prefix ?? 'kraul';
    this.#topics = topicNames(prefix);
    this.#recent = new RecentUrls(options.recentUrls ?? 100_000);
    this.#producer = options.bus.producer({ clientId: 'kraul-strategy' });
    const m = options.metrics;
    this.#metrics = {
      events: m.counter('strategy_events_total', 'Events handled by type', ['type']),
      decisions: m.counter('strategy_decisions_total', 'Decisions sent by operation', ['op']),
      links: m.counter('strategy_links_total', 'Links considered by outcome', ['outcome']),
      records: m.counter('strategy_schedule_records_total', 'Schedule records produced'),
      deadLetters: m.counter('strategy_dead_letters_total', 'Invalid events sent to the dead-letter topic'),
      skipped: m.counter('strategy_events_skipped_total', 'Events of jobs that cannot be planned'),
      sendRetries: m.counter(
        'strategy_send_retries_total',
        'Schedule sends the bus refused and that were tried again',
      ),
    };
    this.#groupId = groupId(prefix, 'strategy');
    this.#consumer = new TopicConsumer({
      bus: options.bus,
      producer: this.#producer,
      topics: this.#topics,
      role: 'events',
      groupId: this.#groupId,
      log: options.log,
      consumer: { sessionTimeoutMs: options.sessionTimeoutMs ?? 2_500 },
      onMessages: (deliveries, consumer) => this.#handle(deliveries, consumer),
      onDeadLetter: () => this.#metrics.deadLetters.inc(),
    });
    options.jobs.onChange((job) => this.#plans.delete(job.id));
  }

  async start(): Promise<void> {
    const admin = this.#options.bus.admin();
    try {
      const [schedule] = await admin.describeTopics([this.#topics.schedule]);
      this.#partitions = schedule!.partitions;
    } finally {
      await admin.close();
    }
    await this.#consumer.start();
    this.#options.log.info({ partitions: this.#partitions }, 'strategy started');
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer.close();
    await this.#producer.close();
  }

  async #handle(deliveries: Delivery[], consumer: TopicConsumer): Promise<void> {
    const records: OutgoingRecord[] = [];
    // The decisions of the whole poll, per job and destination partition: one schedule record
    // per destination partition per poll, not per event.
    const merged = new Map<string, { job: string; key: string; partition: number; decisions: Decision[] }>();
    for (const { message, record } of deliveries) {
      this.#metrics.events.inc({ type: message.type });
      const plan = await this.#plan(message);
      if (!plan) continue;
      if ('error' in plan) {
        // The job is not on the jobs topic even after the wait (or its strategy cannot load):
        // the event goes to the dead-letter topic with the reason, from where it can be replayed.
        this.#metrics.skipped.inc();
        this.#metrics.deadLetters.inc();
        const letter = deadLetterFor(record, plan.error, this.#groupId);
        records.push({ topic: this.#topics.dlq, key: record.key, value: encodeMessage(letter) });
        continue;
      }
      const planner = new Planner({ ...plan, recent: this.#recent, partitions: this.#partitions });
      try {
        if (message.type === 'crawl.seeded') planner.seeded(message);
        else if (message.type === 'page.fetched') planner.fetched(message);
        else if (message.type === 'fetch.failed') planner.failed(message);
      } catch (error) {
        // Valid by its schema yet unusable (a page URL with no host): retrying cannot help.
        this.#options.log.warn(
          { err: error, topic: record.topic, partition: record.partition, offset: record.offset },
          'event that cannot be planned sent to the dead-letter topic',
        );
        this.#metrics.deadLetters.inc();
        const letter = deadLetterFor(record, error, this.#groupId);
        records.push({ topic: this.#topics.dlq, key: record.key, value: encodeMessage(letter) });
        continue;
      }
      for (const { key, partition, decisions } of planner.plans()) {
        for (const decision of decisions) this.#metrics.decisions.inc({ op: decision.op });
        const slot = `${plan.job.id}\u0000${partition}`;
        const group = merged.get(slot);
        if (group) group.decisions.push(...decisions);
        else merged.set(slot, { job: plan.job.id, key, partition, decisions: [...decisions] });
      }
      const { stats } = planner;
      this.#metrics.links.inc({ outcome: 'scheduled' }, stats.scheduled);
      // outcome: scheduled, out_of_scope, depth, trap, recent, nofollow, rejected_by_strategy (a bounded set).
      this.#metrics.links.inc({ outcome: 'out_of_scope' }, stats.outOfScope - stats.depth - stats.trap);
      this.#metrics.links.inc({ outcome: 'depth' }, stats.depth);
      this.#metrics.links.inc({ outcome: 'trap' }, stats.trap);
      this.#metrics.links.inc({ outcome: 'recent' }, stats.recent);
      this.#metrics.links.inc({ outcome: 'nofollow' }, stats.nofollow);
      this.#metrics.links.inc({ outcome: 'rejected_by_strategy' }, stats.rejectedByStrategy);
    }
    for (const { job, key, partition, decisions } of merged.values()) {
      for (const [value, batch] of this.#encodeBatches(job, decisions)) {
        records.push({ topic: this.#topics.schedule, key, partition, value, decoded: batch });
      }
    }
    // Offsets advance only after the frontier's records are acknowledged.
    if (records.length > 0) {
      await this.#send(records);
      this.#metrics.records.inc(records.filter((record) => record.topic === this.#topics.schedule).length);
    }
    for (const delivery of deliveries) consumer.complete(delivery);
  }

  /**
   * One schedule.batch value for the decisions, or several when one would exceed the
   * record size limit (halved until each fits).
   */
  #encodeBatches(job: string, decisions: Decision[]): [Uint8Array, ScheduleBatch][] {
    const batch: ScheduleBatch = { type: 'schedule.batch', job, decisions };
    const value = encodeMessage(batch);
    if (value.byteLength <= (this.#options.maxRecordBytes ?? 512 * 1024) || decisions.length === 1)
      return [[value, batch]];
    const half = Math.ceil(decisions.length / 2);
    return [
      ...this.#encodeBatches(job, decisions.slice(0, half)),
      ...this.#encodeBatches(job, decisions.slice(half)),
    ];
  }

  /**
   * Sends until the bus acknowledges. The bus does not deliver a batch again whose handler
   * failed, so giving up here would leave the events unhandled (and the partition's committed
   * offset stuck) until a restart. Only a stopping worker gives up: its events are then
   * delivered again to the next owner of the partition.
   */
  async #send(records: OutgoingRecord[]): Promise<void> {
    const maxBackoffMs = this.#options.maxSendBackoffMs ?? 5_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#producer.send(records);
        return;
      } catch (error) {
        if (this.#stopping) throw error;
        const backoffMs = Math.min(maxBackoffMs, 100 * 2 ** (attempt - 1));
        this.#metrics.sendRetries.inc();
        this.#options.log.warn(
          { err: error, records: records.length, attempt, backoffMs },
          'schedule records not sent; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  async #plan(message: Message): Promise<JobPlan | { error: unknown } | undefined> {
    if (!('job' in message) || typeof message.job !== 'string') return undefined;
    const id = message.job;
    let plan = this.#plans.get(id);
    if (!plan) {
      plan = this.#options.jobs.waitFor(id, this.#options.jobWaitMs ?? 10_000).then(async (job) => ({
        job,
        scope: new JobScope(job),
        strategy: await loadStrategy(job, this.#options.cwd),
        traps: new SequenceTraps(),
      }));
      // A job that cannot be planned stays so until it changes on the jobs topic (which
      // clears this entry): its further events are skipped at once, not after a wait each.
      plan.catch((error: unknown) =>
        this.#options.log.error(
          { err: error, job: id },
          'events of a job that cannot be planned go to the dead-letter topic',
        ),
      );
      this.#plans.set(id, plan);
    }
    try {
      return await plan;
    } catch (error) {
      return { error };
    }
  }
}
