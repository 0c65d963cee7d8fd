import {
  type Bus,
  type BusAdmin,
  type BusRecord,
  createMemoryBus,
  type GroupConsumer,
  type OutgoingRecord,
  type Producer,
} from '@kraul/bus';
import {
  type Decision,
  decodeMessage,
  encodeMessage,
  type FetchRequest,
  groupId,
  type Job,
  type TopicNames,
  topicNames,
} from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import { createLogger, type Logger } from '@kraul/telemetry';
import { partitionForKey } from '@kraul/url';

export const PARTITIONS = 4;

/** A memory bus with kraul's topics, a producer, and a job registry following the jobs topic. */
export interface MemoryCluster {
  bus: Bus;
  admin: BusAdmin;
  producer: Producer;
  topics: TopicNames;
  prefix: string;
  jobs: JobRegistry;
  publishJob(job: Job): Promise<void>;
  /** One schedule.batch record with the decisions, to the partition of `key`. */
  sendDecisions(key: string, decisions: Decision[], job?: string): Promise<void>;
  /** The crawlers group's lag on one todo partition. */
  todoLag(partition: number): Promise<number>;
  close(): Promise<void>;
}

export async function startMemoryCluster(jobs: readonly Job[], prefix = 'kt'): Promise<MemoryCluster> {
  const bus = createMemoryBus();
  const admin = bus.admin();
  const topics = topicNames(prefix);
  await admin.createTopics(kraulTopicSpecs(prefix, PARTITIONS));
  const producer = bus.producer();
  const publishJob = async (job: Job): Promise<void> => {
    await producer.send([{ topic: topics.jobs, key: job.id, value: encodeMessage(job) }]);
  };
  for (const job of jobs) await publishJob(job);
  const registry = new JobRegistry({ bus, topics, groupPrefix: prefix, log: silentLogger() });
  await registry.start();
  return {
    bus,
    admin,
    producer,
    topics,
    prefix,
    jobs: registry,
    publishJob,
    async sendDecisions(key, decisions, job = 'job-1') {
      await producer.send([
        { topic: topics.schedule, key, value: encodeMessage({ type: 'schedule.batch', job, decisions }) },
      ]);
    },
    async todoLag(partition) {
      const lags = await admin.lag(groupId(prefix, 'crawlers'), topics.todo);
      return lags.find((lag) => lag.partition === partition)?.lag ?? 0;
    },
    async close() {
      await registry.close();
      await bus.close();
    },
  };
}

export function silentLogger(): Logger {
  return createLogger({ name: 'test', level: 'silent' });
}

/** A logger that keeps every line (JSON objects) of `level` and above in `lines`. */
export function capturingLogger(level: 'warn' | 'error' = 'warn'): {
  log: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(line: string) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { log: createLogger({ name: 'test', level, format: 'json', destination }), lines };
}

/** `count` host names whose records land on `partition`. */
export function hostsOn(partition: number, count: number, label = 'h'): string[] {
  const hosts: string[] = [];
  for (let n = 0; hosts.length < count; n += 1) {
    const host = `${label}${n}.test`;
    if (partitionForKey(host, PARTITIONS) === partition) hosts.push(host);
  }
  return hosts;
}

export interface ReceivedRequest {
  request: FetchRequest;
  record: BusRecord;
}

/**
 * A member of the crawlers group that only collects fetch requests and commits when told:
 * a crawler as slow as a test wants it.
 */
export class FakeCrawler {
  readonly received: ReceivedRequest[] = [];
  readonly #consumer: GroupConsumer;
  readonly #topic: string;

  constructor(cluster: MemoryCluster) {
    this.#topic = cluster.topics.todo;
    this.#consumer = cluster.bus.consumer({
      groupId: groupId(cluster.prefix, 'crawlers'),
      topics: [this.#topic],
    });
  }

  async start(): Promise<void> {
    await this.#consumer.start({
      onBatch: ({ records }) => {
        for (const record of records) {
          const request = decodeMessage(record.value, 'todo') as FetchRequest;
          this.received.push({ request, record });
        }
      },
    });
  }

  on(partition: number): ReceivedRequest[] {
    return this.received.filter((received) => received.record.partition === partition);
  }

  /** Commits up to (not including) `offset` on a todo partition. */
  async commit(partition: number, offset: number): Promise<void> {
    await this.#consumer.commit([{ topic: this.#topic, partition, offset }]);
  }

  async close(): Promise<void> {
    await this.#consumer.close();
  }
}

/** A done decision for a received request, as the strategy would send it. */
export function doneFor({ request }: ReceivedRequest, fetchedAt = Date.now()): Decision {
  return { op: 'done', url: request.url, fp: request.fp, lease: request.lease, status: 200, fetchedAt };
}

export function record(topic: string, key: string, value: Uint8Array | string): OutgoingRecord {
  return { topic, key, value: typeof value === 'string' ? new TextEncoder().encode(value) : value };
}
