import {
  type Bus,
  type BusAdmin,
  type BusRecord,
  createMemoryBus,
  type GroupConsumer,
  type Producer,
} from '@kraul/bus';
import {
  type DeadLetter,
  type Decision,
  decodeMessage,
  encodeMessage,
  groupId,
  type Message,
  type ScheduleBatch,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { createLogger, createMetricsRegistry, type Logger } from '@kraul/telemetry';
import { fingerprint, partitionForKey } from '@kraul/url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StrategyWorker, type StrategyWorkerOptions } from '../src/strategy-worker.ts';
import { makeJob, pageFetched } from './worker-fixtures.ts';

const PARTITIONS = 4;
const PREFIX = 'st';

interface Received<M> {
  message: M;
  record: BusRecord;
}

let bus: Bus;
let admin: BusAdmin;
let producer: Producer;
let topics: TopicNames;
let jobs: JobRegistry;
let worker: StrategyWorker | undefined;
let consumers: GroupConsumer[];
let logLines: Record<string, unknown>[];
let log: Logger;

beforeEach(async () => {
  bus = createMemoryBus();
  admin = bus.admin();
  topics = topicNames(PREFIX);
  await admin.createTopics(kraulTopicSpecs(PREFIX, PARTITIONS));
  producer = bus.producer();
  await producer.send([{ topic: topics.jobs, key: 'job-1', value: encodeMessage(makeJob()) }]);
  logLines = [];
  const destination = {
    write(line: string) {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  log = createLogger({ name: 'strategy-test', level: 'warn', format: 'json', destination });
  jobs = new JobRegistry({ bus, topics, groupPrefix: PREFIX, log });
  await jobs.start();
  consumers = [];
  worker = undefined;
});

afterEach(async () => {
  await worker?.stop();
  await jobs.close();
  await bus.close();
});

async function startWorker(options: Partial<StrategyWorkerOptions> = {}): Promise<StrategyWorker> {
  worker = new StrategyWorker({
    bus,
    jobs,
    log,
    metrics: createMetricsRegistry(),
    prefix: PREFIX,
    ...options,
  });
  await worker.start();
  return worker;
}

/** Collects every message of a topic, from the start. */
async function collect<M extends Message>(topic: string, role: 'schedule' | 'dlq'): Promise<Received<M>[]> {
  const received: Received<M>[] = [];
  const consumer = bus.consumer({ groupId: `test-${role}`, topics: [topic] });
  await consumer.start({
    onBatch: ({ records }) => {
      for (const record of records)
        received.push({ message: decodeMessage(record.value, role) as M, record });
    },
  });
  consumers.push(consumer);
  return received;
}

async function sendEvent(key: string, event: Message | string): Promise<void> {
  const value = typeof event === 'string' ? new TextEncoder().encode(event) : encodeMessage(event);
  await producer.send([{ topic: topics.events, key, value }]);
}

/** Resolves once the strategy group has committed every event sent so far. */
async function eventsHandled(): Promise<void> {
  await waitUntil('the strategy to commit every event', async () => {
    const lags = await admin.lag(groupId(PREFIX, 'strategy'), topics.events);
    return lags.every((lag) => lag.lag === 0);
  });
}

async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const seeded = (url: string, job: string): Message => ({
  type: 'crawl.seeded',
  job,
  urls: [{ url }],
  source: 'cli',
});

const decisionsIn = (received: Received<ScheduleBatch>[]): Decision[] =>
  received.flatMap(({ message }) => message.decisions);

describe('StrategyWorker on the memory bus', () => {
  it('turns a page into one schedule record per destination partition, keyed for its partition', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    await startWorker();
    // a.test → 3, b.test and c.test → 1, d.test and e.test → 0, g.test → 2 (of 4 partitions).
    const targets = ['b', 'c', 'd', 'e', 'g', 'a'].flatMap((host) => [
      `https://${host}.test/1`,
      `https://${host}.test/2`,
    ]);
    await sendEvent('a.test', pageFetched('https://a.test/', { links: targets.map((url) => ({ url })) }));
    await eventsHandled();

    expect(schedule).toHaveLength(4);
    expect(new Set(schedule.map(({ record }) => record.partition)).size).toBe(4);
    for (const { message, record } of schedule) {
      expect(message).toMatchObject({ type: 'schedule.batch', job: 'job-1' });
      expect(partitionForKey(record.key!, PARTITIONS)).toBe(record.partition);
      for (const decision of message.decisions) {
        expect(partitionForKey(new URL(decision.url).hostname, PARTITIONS)).toBe(record.partition);
      }
    }
    const decisions = decisionsIn(schedule);
    expect(
      decisions
        .filter((decision) => decision.op === 'schedule')
        .map((decision) => decision.url)
        .sort(),
    ).toEqual([...targets].sort());
    expect(decisions.filter((decision) => decision.op === 'done')).toEqual([
      expect.objectContaining({ url: 'https://a.test/', fp: fingerprint('https://a.test/') }),
    ]);

    // A second page linking to the same URLs sends only its own done.
    await sendEvent('b.test', pageFetched('https://b.test/1', { links: targets.map((url) => ({ url })) }));
    await eventsHandled();
    expect(schedule).toHaveLength(5);
    expect(schedule[4]!.message.decisions).toEqual([
      expect.objectContaining({ op: 'done', url: 'https://b.test/1' }),
    ]);
  });

  it('sends the decisions of one poll of events in one record per destination partition', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    // Three pages of hosts on partition 1 (b.test, c.test) in one send: one poll of the worker.
    const pages = ['https://b.test/1', 'https://c.test/1', 'https://b.test/2'];
    await producer.send(
      pages.map((url) => ({
        topic: topics.events,
        key: new URL(url).hostname,
        value: encodeMessage(pageFetched(url, { links: [{ url: `${url}/next` }] })),
      })),
    );
    await startWorker();
    await eventsHandled();
    expect(schedule).toHaveLength(1);
    const decisions = decisionsIn(schedule);
    expect(decisions.filter((decision) => decision.op === 'done').map((decision) => decision.url)).toEqual(
      pages,
    );
    expect(decisions.filter((decision) => decision.op === 'schedule')).toHaveLength(3);
  });

  it('schedules seeds and reports failures', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    await startWorker();
    await sendEvent('a.test', {
      type: 'crawl.seeded',
      job: 'job-1',
      urls: [{ url: 'https://a.test/' }, { url: 'https://b.test/' }],
      source: 'cli',
    });
    const url = 'https://g.test/x';
    await sendEvent('g.test', {
      type: 'fetch.failed',
      job: 'job-1',
      url,
      fp: fingerprint(url),
      depth: 1,
      attempt: 1,
      lease: 'l1',
      errorClass: 'timeout',
      retryable: true,
      message: 'timed out',
      failedAt: 5,
    });
    await eventsHandled();
    expect(schedule.map(({ record }) => [record.key, record.partition])).toEqual([
      ['a.test', 3],
      ['b.test', 1],
      ['g.test', 2],
    ]);
    expect(decisionsIn(schedule).map((decision) => [decision.op, decision.url])).toEqual([
      ['schedule', 'https://a.test/'],
      ['schedule', 'https://b.test/'],
      ['failed', url],
    ]);
  });

  it('splits the decisions of one partition over several records when one would be too large', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    const maxRecordBytes = 4_096;
    await startWorker({ maxRecordBytes });
    const links = Array.from({ length: 200 }, (_, n) => ({ url: `https://b.test/sitemap-entry/${n}` }));
    await sendEvent('b.test', pageFetched('https://b.test/sitemap.xml', { links }));
    await eventsHandled();

    expect(schedule.length).toBeGreaterThan(1);
    for (const { record } of schedule) {
      expect(record.value.byteLength).toBeLessThanOrEqual(maxRecordBytes);
      expect(record).toMatchObject({ key: 'b.test', partition: 1 });
    }
    const scheduled = decisionsIn(schedule).filter((decision) => decision.op === 'schedule');
    expect(scheduled.map((decision) => decision.url)).toEqual(links.map((link) => link.url));
  });

  it("sends an unknown job's events to the dead-letter topic after the wait, logging it once, and goes on", async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    const letters = await collect<DeadLetter>(topics.dlq, 'dlq');
    await startWorker({ jobWaitMs: 200 });
    await sendEvent('a.test', seeded('https://a.test/', 'ghost'));
    await sendEvent('a.test', pageFetched('https://a.test/2', { job: 'ghost' }));
    await sendEvent('a.test', pageFetched('https://a.test/3'));
    await eventsHandled();

    expect(decisionsIn(schedule).map((decision) => decision.url)).toEqual(['https://a.test/3']);
    await waitUntil('two dead letters', () => letters.length >= 2);
    expect(letters.map(({ message }) => message)).toEqual([
      expect.objectContaining({
        topic: topics.events,
        offset: 0,
        consumerGroup: groupId(PREFIX, 'strategy'),
        error: expect.objectContaining({ code: 'jobs.unknown', message: expect.stringContaining('ghost') }),
      }),
      expect.objectContaining({ offset: 1, error: expect.objectContaining({ code: 'jobs.unknown' }) }),
    ]);
    const errors = logLines.filter((line) => line['level'] === 50);
    expect(errors).toEqual([
      expect.objectContaining({
        job: 'ghost',
        msg: 'events of a job that cannot be planned go to the dead-letter topic',
      }),
    ]);

    // A job published late is planned from then on.
    await producer.send([
      { topic: topics.jobs, key: 'ghost', value: encodeMessage(makeJob({ id: 'ghost' })) },
    ]);
    await waitUntil('the job to arrive', () => jobs.get('ghost') !== undefined);
    await sendEvent('a.test', pageFetched('https://a.test/4', { job: 'ghost' }));
    await eventsHandled();
    expect(schedule.at(-1)!.message).toMatchObject({
      job: 'ghost',
      decisions: [{ url: 'https://a.test/4' }],
    });
  });

  it('plans a seed that arrives before its job once the job shows up within the wait', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    const letters = await collect<DeadLetter>(topics.dlq, 'dlq');
    await startWorker({ jobWaitMs: 10_000 });
    await sendEvent('late.test', seeded('https://late.test/', 'late'));
    await producer.send([{ topic: topics.jobs, key: 'late', value: encodeMessage(makeJob({ id: 'late' })) }]);
    await eventsHandled();
    expect(schedule.map(({ message }) => message.job)).toEqual(['late']);
    expect(letters).toEqual([]);
  });

  it('sends undecodable and unusable events to the dead-letter topic and goes on', async () => {
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    const letters = await collect<DeadLetter>(topics.dlq, 'dlq');
    await startWorker();
    await sendEvent('a.test', 'garbage');
    // Valid by the schema, yet its page URL has no host to key the done decision by.
    await sendEvent('a.test', pageFetched('not-a-url'));
    await sendEvent('a.test', pageFetched('https://a.test/fine'));
    await eventsHandled();

    expect(decisionsIn(schedule).map((decision) => decision.url)).toEqual(['https://a.test/fine']);
    await waitUntil('two dead letters', () => letters.length === 2);
    expect(letters.map(({ message }) => [message.topic, message.offset, message.consumerGroup])).toEqual([
      [topics.events, 0, groupId(PREFIX, 'strategy')],
      [topics.events, 1, groupId(PREFIX, 'strategy')],
    ]);
    expect(letters[1]!.message.error.code).toBe('url.invalid');
  });

  it('keeps trying to send schedule records the bus refuses, and completes the events once it takes them', async () => {
    await startWorker({ maxSendBackoffMs: 50 });
    // The schedule topic vanishes: every send fails until it is back.
    await admin.deleteTopics([topics.schedule]);
    await sendEvent('a.test', pageFetched('https://a.test/', { links: [{ url: 'https://b.test/' }] }));
    await waitUntil('a failed send', () =>
      logLines.some((line) => line['msg'] === 'schedule records not sent; trying again'),
    );
    expect((await admin.lag(groupId(PREFIX, 'strategy'), topics.events)).some((lag) => lag.lag > 0)).toBe(
      true,
    );

    await admin.createTopics(kraulTopicSpecs(PREFIX, PARTITIONS).filter((spec) => spec.role === 'schedule'));
    const schedule = await collect<ScheduleBatch>(topics.schedule, 'schedule');
    await eventsHandled();
    await waitUntil('the records', () => schedule.length === 2);
    expect(decisionsIn(schedule).map((decision) => [decision.op, decision.url])).toEqual(
      expect.arrayContaining([
        ['done', 'https://a.test/'],
        ['schedule', 'https://b.test/'],
      ]),
    );
  });
});
