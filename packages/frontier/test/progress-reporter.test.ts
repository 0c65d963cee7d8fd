import { createMemoryBus, type MemoryBus } from '@kraul/bus';
import { encodeMessage, groupId, job, topicNames } from '@kraul/protocol';
import { JobRegistry, kraulTopicSpecs } from '@kraul/runtime';
import type { UrlState } from '@kraul/store';
import { createLogger } from '@kraul/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProgressReporter, type ReportedShards } from '../src/progress-reporter.ts';

const PREFIX = 'pr';
const topics = topicNames(PREFIX);
const log = createLogger({ name: 'test', level: 'silent' });
const zero = (): Record<UrlState, number> => ({ queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0 });

/** Shards held in a map: what a frontier owns and counts, without sqlite. */
class Shards implements ReportedShards {
  readonly counts = new Map<number, Map<string, Record<UrlState, number>>>();
  ownedPartitions(): number[] {
    return [...this.counts.keys()];
  }
  shardCounts(partition: number, jobId: string): Record<UrlState, number> | undefined {
    const shard = this.counts.get(partition);
    return shard ? (shard.get(jobId) ?? zero()) : undefined;
  }
}

let bus: MemoryBus;
let jobs: JobRegistry;

beforeEach(async () => {
  bus = createMemoryBus();
  const admin = bus.admin();
  await admin.createTopics(kraulTopicSpecs(PREFIX, 2));
  await admin.close();
  const producer = bus.producer();
  for (const id of ['a', 'b']) {
    await producer.send([
      {
        topic: topics.jobs,
        key: id,
        value: encodeMessage(job.parse({ type: 'job', id, createdAt: 1, updatedAt: 1 })),
      },
    ]);
  }
  await producer.close();
  jobs = new JobRegistry({ bus, topics, groupPrefix: PREFIX, log });
  await jobs.start();
});

afterEach(async () => {
  await jobs.close();
  await bus.close();
});

async function waitUntil(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ProgressReporter', () => {
  it("reports each owned shard's non-empty job counts with the frontier group's committed offset", async () => {
    const shards = new Shards();
    shards.counts.set(0, new Map([['a', { ...zero(), queued: 2, done: 5 }]]));
    shards.counts.set(1, new Map());
    const reporter = new ProgressReporter({ bus, jobs, shards, topics, prefix: PREFIX, log });
    await reporter.report(1_000);
    await waitUntil(() => jobs.progress().length === 2);
    expect(jobs.progress()).toEqual([
      expect.objectContaining({
        partition: 0,
        scheduleOffset: -1,
        jobs: [{ job: 'a', queued: 2, inflight: 0, done: 5, failed: 0, dropped: 0 }],
      }),
      expect.objectContaining({ partition: 1, scheduleOffset: -1, jobs: [] }),
    ]);

    // The frontier commits schedule records: the new offset is reported even with equal counts.
    const producer = bus.producer();
    await producer.send([{ topic: topics.schedule, key: null, partition: 1, value: new Uint8Array([1]) }]);
    const member = bus.consumer({ groupId: groupId(PREFIX, 'frontier'), topics: [topics.schedule] });
    await member.start({ onBatch: () => {} });
    await member.commit([{ topic: topics.schedule, partition: 1, offset: 1 }]);
    await reporter.report(2_000);
    await waitUntil(() => jobs.progress()[1]?.scheduleOffset === 1);
    expect(jobs.progress()[1]).toMatchObject({ partition: 1, at: 2_000, jobs: [] });
    await member.close();
    await producer.close();
    await reporter.stop();
  });

  it('sends a shard again only when it changed or its refresh is due', async () => {
    const shards = new Shards();
    shards.counts.set(0, new Map([['b', { ...zero(), inflight: 1 }]]));
    const reporter = new ProgressReporter({
      bus,
      jobs,
      shards,
      topics,
      prefix: PREFIX,
      log,
      refreshMs: 10_000,
    });
    await reporter.report(1_000);
    await waitUntil(() => jobs.progress().length === 1);
    await reporter.report(2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(jobs.progress()[0]?.at).toBe(1_000);

    shards.counts.get(0)!.set('b', { ...zero(), done: 1 });
    await reporter.report(3_000);
    await waitUntil(() => jobs.progress()[0]?.at === 3_000);
    expect(jobs.progress()[0]?.jobs).toEqual([
      { job: 'b', queued: 0, inflight: 0, done: 1, failed: 0, dropped: 0 },
    ]);

    await reporter.report(13_000);
    await waitUntil(() => jobs.progress()[0]?.at === 13_000);
    await reporter.stop();
  });
});
