import type { Bus, OutgoingRecord, Producer } from '@kraul/bus';
import { encodeMessage, groupId, type Job, type Message, type TopicNames, topicNames } from '@kraul/protocol';
import { type Delivery, type JobRegistry, TopicConsumer } from '@kraul/runtime';
import { type CrawlStrategy, JobScope, loadStrategy, RecentUrls } from '@kraul/strategy';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { Planner } from './planner.ts';

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
  /** Consumer session timeout. Default: 10,000 ms. */
  sessionTimeoutMs?: number;
}

interface JobPlan {
  job: Job;
  scope: JobScope;
  strategy: CrawlStrategy;
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
  #partitions = 0;

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
    };
    this.#consumer = new TopicConsumer({
      bus: options.bus,
      producer: this.#producer,
      topics: this.#topics,
      role: 'events',
      groupId: groupId(prefix, 'strategy'),
      log: options.log,
      consumer: { sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000 },
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
    await this.#consumer.close();
    await this.#producer.close();
  }

  async #handle(deliveries: Delivery[], consumer: TopicConsumer): Promise<void> {
    const records: OutgoingRecord[] = [];
    for (const { message } of deliveries) {
      this.#metrics.events.inc({ type: message.type });
      const plan = await this.#plan(message);
      if (!plan) continue;
      const planner = new Planner({ ...plan, recent: this.#recent, partitions: this.#partitions });
      if (message.type === 'crawl.seeded') planner.seeded(message);
      else if (message.type === 'page.fetched') planner.fetched(message);
      else if (message.type === 'fetch.failed') planner.failed(message);
      for (const { key, partition, decisions } of planner.plans()) {
        for (const decision of decisions) this.#metrics.decisions.inc({ op: decision.op });
        records.push({
          topic: this.#topics.schedule,
          key,
          partition,
          value: encodeMessage({ type: 'schedule.batch', job: plan.job.id, decisions }),
        });
      }
      const { stats } = planner;
      this.#metrics.links.inc({ outcome: 'scheduled' }, stats.scheduled);
      this.#metrics.links.inc({ outcome: 'out_of_scope' }, stats.outOfScope);
      this.#metrics.links.inc({ outcome: 'recent' }, stats.recent);
      this.#metrics.links.inc({ outcome: 'nofollow' }, stats.nofollow);
      this.#metrics.links.inc({ outcome: 'rejected_by_strategy' }, stats.rejectedByStrategy);
    }
    if (records.length > 0) {
      // Offsets advance only after the frontier's records are acknowledged: a failure here
      // rejects, nothing is completed, and the events are delivered again.
      await this.#producer.send(records);
      this.#metrics.records.inc(records.length);
    }
    for (const delivery of deliveries) consumer.complete(delivery);
  }

  async #plan(message: Message): Promise<JobPlan | undefined> {
    if (!('job' in message) || typeof message.job !== 'string') return undefined;
    const id = message.job;
    let plan = this.#plans.get(id);
    if (!plan) {
      plan = this.#options.jobs.waitFor(id).then(async (job) => ({
        job,
        scope: new JobScope(job),
        strategy: await loadStrategy(job, this.#options.cwd),
      }));
      this.#plans.set(id, plan);
    }
    try {
      return await plan;
    } catch (error) {
      this.#plans.delete(id);
      this.#options.log.error({ err: error, job: id }, 'event of a job that cannot be planned is skipped');
      return undefined;
    }
  }
}
