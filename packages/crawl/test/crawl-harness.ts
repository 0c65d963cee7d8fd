/**
 * The test plays the frontier and the strategy around real crawler workers: it creates the
 * topics of a crawl on the test broker, publishes the job, produces fetch requests keyed by
 * host, and reads back what the crawlers publish.
 */
import type { Producer, RecordMetadata } from '@kraul/bus';
import { createKafkaBus, type KafkaBus } from '@kraul/bus/kafka';
import {
  type DeadLetter,
  decodeMessage,
  encodeMessage,
  type FetchFailed,
  type FetchRequest,
  type Job,
  type JobInput,
  job as jobSchema,
  type Message,
  type PageDocument,
  type PageFetched,
  type TopicNames,
  type TopicRole,
  topicNames,
} from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { createLogger, createMetricsRegistry, type LogLevel } from '@kraul/telemetry';
import { type TestSite, testBrokers, uniqueName } from '@kraul/testkit';
import { fingerprint, hostKey } from '@kraul/url';
import { CrawlerWorker, type CrawlerWorkerOptions } from '../src/crawler-worker.ts';

export type Outcome = PageFetched | FetchFailed;

/** Log level of the workers under test: quiet unless a run is being debugged. */
export const WORKER_LOG_LEVEL = (process.env['KRAUL_TEST_LOG_LEVEL'] ?? 'error') as LogLevel;

export function makeBus(label: string): KafkaBus {
  return createKafkaBus({ brokers: testBrokers(), clientId: uniqueName(label) });
}

/**
 * Polls `condition` until it holds, or fails after `timeoutMs` naming what it waited for.
 * Tests wait on outcomes, never on fixed sleeps.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 60_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A crawl's topics on the test broker, under a prefix no other test uses. */
export interface CrawlTopics {
  bus: KafkaBus;
  prefix: string;
  topics: TopicNames;
  partitions: number;
  producer: Producer;
  /** Publishes (or updates) a job on the compacted jobs topic. */
  publishJob(job: Job): Promise<void>;
  /** Produces fetch requests to the todo topic, each keyed by its URL's host key. */
  sendRequests(requests: readonly FetchRequest[]): Promise<RecordMetadata[]>;
  close(): Promise<void>;
}

export async function createCrawlTopics(partitions: number): Promise<CrawlTopics> {
  const bus = makeBus('kraul-crawler-test');
  const prefix = uniqueName('kraul-crawler-test');
  const topics = topicNames(prefix);
  const admin = bus.admin();
  try {
    await admin.createTopics(kraulTopicSpecs(prefix, partitions));
  } finally {
    await admin.close();
  }
  const producer = bus.producer({ clientId: 'kraul-crawler-test-frontier' });
  return {
    bus,
    prefix,
    topics,
    partitions,
    producer,
    publishJob: async (job) => {
      await producer.send([{ topic: topics.jobs, key: job.id, value: encodeMessage(job) }]);
    },
    sendRequests: (requests) =>
      producer.send(
        requests.map((request) => ({
          topic: topics.todo,
          key: hostKey(request.url),
          value: encodeMessage(request),
        })),
      ),
    close: () => bus.close(),
  };
}

/**
 * A job that may crawl exactly the test site's addresses, with short politeness delays.
 * `settings` parts replace the defaults of their section.
 */
export function siteJob(
  site: TestSite,
  settings: {
    politeness?: Partial<Job['settings']['politeness']>;
    output?: Partial<Job['settings']['output']>;
  } = {},
): Job {
  const now = Date.now();
  const input: JobInput = {
    type: 'job',
    id: uniqueName('job'),
    seeds: [site.url(0, '/p/0')],
    settings: {
      scope: { mode: 'any' },
      politeness: { delayMs: 150, concurrencyPerHost: 1, ...settings.politeness },
      safety: { allowedAddresses: site.hosts.map((host) => host.address) },
      ...(settings.output ? { output: settings.output } : {}),
    },
    createdAt: now,
    updatedAt: now,
  };
  return jobSchema.parse(input);
}

let leaseCounter = 0;

/** A fetch request as the frontier sends it. */
export function fetchRequest(job: Job, url: string, meta?: FetchRequest['meta']): FetchRequest {
  leaseCounter += 1;
  return {
    type: 'fetch.request',
    job: job.id,
    url,
    fp: fingerprint(url),
    depth: 0,
    score: 1,
    attempt: 1,
    lease: `lease-${leaseCounter}`,
    ...(meta ? { meta } : {}),
  };
}

/** A record a reader collected, with where it was written. */
export interface Collected<M extends Message> {
  message: M;
  partition: number;
  offset: number;
  key: string | null;
}

/**
 * Reads one topic of the crawl from the start in a group of its own and keeps every
 * message (decoded and validated as that topic's messages).
 */
export class TopicReader<M extends Message> {
  readonly records: Collected<M>[] = [];
  readonly #bus: KafkaBus;
  readonly #topic: string;
  readonly #role: TopicRole;
  #consumer: ReturnType<KafkaBus['consumer']> | undefined;

  constructor(bus: KafkaBus, topics: TopicNames, role: TopicRole) {
    this.#bus = bus;
    this.#topic = topics[role];
    this.#role = role;
  }

  static async start<M extends Message>(
    bus: KafkaBus,
    topics: TopicNames,
    role: TopicRole,
  ): Promise<TopicReader<M>> {
    const reader = new TopicReader<M>(bus, topics, role);
    await reader.#start();
    return reader;
  }

  get messages(): M[] {
    return this.records.map((record) => record.message);
  }

  async close(): Promise<void> {
    await this.#consumer?.close();
  }

  async #start(): Promise<void> {
    this.#consumer = this.#bus.consumer({
      groupId: uniqueName(`kraul-crawler-test-${this.#role}-reader`),
      topics: [this.#topic],
      startFrom: 'earliest',
      maxWaitMs: 100,
    });
    await this.#consumer.start({
      onBatch: ({ partition, records }) => {
        for (const record of records) {
          const message = decodeMessage(record.value, this.#role, record) as M;
          this.records.push({ message, partition, offset: record.offset, key: record.key });
        }
      },
    });
  }
}

/** The events topic, seen as the outcomes of fetch requests. */
export class OutcomeReader {
  readonly #reader: TopicReader<Outcome>;

  constructor(reader: TopicReader<Outcome>) {
    this.#reader = reader;
  }

  static async start(crawl: CrawlTopics): Promise<OutcomeReader> {
    return new OutcomeReader(await TopicReader.start<Outcome>(crawl.bus, crawl.topics, 'events'));
  }

  get all(): Outcome[] {
    return this.#reader.messages;
  }

  /** Outcomes per request fingerprint, in the order they were read. */
  byFp(): Map<string, Outcome[]> {
    const map = new Map<string, Outcome[]>();
    for (const outcome of this.all) {
      const list = map.get(outcome.fp);
      if (list) list.push(outcome);
      else map.set(outcome.fp, [outcome]);
    }
    return map;
  }

  /** The first outcome of the request for `url`. */
  of(url: string): Outcome | undefined {
    return this.all.find((outcome) => outcome.url === url);
  }

  /** Waits until every request has at least one outcome. */
  async waitForAll(requests: readonly FetchRequest[], timeoutMs = 60_000): Promise<void> {
    const missing = () => {
      const seen = this.byFp();
      return requests.filter((request) => !seen.has(request.fp));
    };
    await waitFor(
      () => missing().length === 0,
      () => {
        const left = missing();
        return `outcomes of ${left.length} requests, e.g. ${left
          .slice(0, 5)
          .map((r) => r.url)
          .join(', ')}`;
      },
      timeoutMs,
    );
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}

export type DeadLetterReader = TopicReader<DeadLetter>;
export type PageReader = TopicReader<PageDocument>;

/** A crawler worker in this process, with the job registry it reads jobs from. */
export interface InProcessWorker {
  worker: CrawlerWorker;
  jobs: JobRegistry;
  stop(): Promise<void>;
}

export async function startWorker(
  crawl: CrawlTopics,
  options: Partial<Omit<CrawlerWorkerOptions, 'bus' | 'jobs' | 'log' | 'prefix'>> = {},
): Promise<InProcessWorker> {
  const bus = makeBus('kraul-crawler-test-worker');
  const log = createLogger({ name: 'crawler', level: WORKER_LOG_LEVEL, format: 'json' });
  const jobs = new JobRegistry({ bus, topics: crawl.topics, groupPrefix: crawl.prefix, log });
  await jobs.start();
  const worker = new CrawlerWorker({
    bus,
    jobs,
    log,
    metrics: createMetricsRegistry(),
    prefix: crawl.prefix,
    userAgent: 'kraul-test',
    sessionTimeoutMs: 3_000,
    ...options,
  });
  await worker.start();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    jobs,
    stop: () => {
      stopped ??= (async () => {
        await worker.stop();
        await jobs.close();
        await bus.close();
      })();
      return stopped;
    },
  };
}

/** Fingerprints that got more than one outcome. */
export function duplicateFps(outcomes: ReadonlyMap<string, Outcome[]>): string[] {
  return [...outcomes].filter(([, list]) => list.length > 1).map(([fp]) => fp);
}
