import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import { BusError, ProduceError } from '../src/errors.ts';
import { createMemoryBus, type MemoryBus, type MemoryBusOptions } from '../src/memory/memory-bus.ts';
import { OffsetTracker } from '../src/offset-tracker.ts';
import { partitionFor } from '../src/partitioner.ts';
import type { ConsumerOptions, TopicPartition } from '../src/types.ts';
import { memoryHarness } from './contract/memory-harness.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { busContract } from './contract/suite.ts';
import { waitFor } from './contract/wait-for.ts';

busContract('memory', memoryHarness);

const value = new TextEncoder().encode('v');

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

function names(partitions: TopicPartition[]): string[] {
  return partitions.map((tp) => `${tp.topic}:${tp.partition}`);
}

describe('memory bus', () => {
  const buses: MemoryBus[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });

  async function busWithTopic(
    topic: string,
    partitions: number,
    options: MemoryBusOptions = {},
    config?: Record<string, string>,
  ): Promise<MemoryBus> {
    const bus = createMemoryBus(options);
    buses.push(bus);
    await bus.admin().createTopics([{ name: topic, partitions, config }]);
    return bus;
  }

  function fill(bus: MemoryBus, topic: string, partition: number, count: number) {
    return bus.producer().send(range(count).map(() => ({ topic, key: null, partition, value })));
  }

  const group = (groupId: string, topic: string, extra: Partial<ConsumerOptions> = {}): ConsumerOptions => ({
    groupId,
    topics: [topic],
    ...extra,
  });

  it('keeps what a member may keep and revokes what moves before its new owner gets it', async () => {
    const bus = await busWithTopic('t', 6);
    const events: string[] = [];
    const handlers = (member: string) => ({
      onBatch: () => {},
      onAssigned: (partitions: TopicPartition[]) => {
        events.push(`${member} assigned ${names(partitions).join(',')}`);
      },
      onRevoked: async (partitions: TopicPartition[]) => {
        // A slow revoke: the newcomer must still wait for it.
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${member} revoked ${partitions.length}`);
      },
    });
    const first = bus.consumer(group('g', 't'));
    await first.start(handlers('first'));
    const second = bus.consumer(group('g', 't'));
    await second.start(handlers('second'));
    await waitFor(() => first.assignment().length === 3, 'the first member to keep half');
    expect(events).toEqual([
      'first assigned t:0,t:1,t:2,t:3,t:4,t:5',
      'first revoked 3',
      'second assigned t:3,t:4,t:5',
    ]);
  });

  it('waits for the batch in hand before revoking, and delivers none after', async () => {
    const bus = await busWithTopic('t', 1);
    await fill(bus, 't', 0, 10);
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = bus.consumer(group('g', 't', { maxBatchRecords: 2 }));
    await consumer.start({
      onBatch: async (batch) => {
        events.push(`batch ${batch.records[0]!.offset}`);
        await gate;
        events.push(`done ${batch.records[0]!.offset}`);
      },
      onRevoked: () => {
        events.push('revoked');
      },
    });
    await waitFor(() => events.length === 1, 'the first batch');
    const closed = consumer.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['batch 0']);
    release();
    await closed;
    expect(events).toEqual(['batch 0', 'done 0', 'revoked']);
  });

  it('rejects commits the member may not make', async () => {
    const bus = await busWithTopic('t', 2);
    await fill(bus, 't', 0, 3);
    const first = bus.consumer(group('g', 't'));
    await first.start({ onBatch: () => {} });
    await expect(first.commit([{ topic: 't', partition: 0, offset: 4 }])).rejects.toMatchObject({
      code: 'bus.invalid_offset',
    });
    await expect(first.commit([{ topic: 't', partition: 0, offset: -1 }])).rejects.toMatchObject({
      code: 'bus.invalid_offset',
    });
    const second = bus.consumer(group('g', 't'));
    await second.start({ onBatch: () => {} });
    await waitFor(() => first.assignment().length === 1, 'the rebalance');
    // All or nothing: the owned partition in the same commit is not stored either.
    await expect(
      first.commit([
        { topic: 't', partition: 0, offset: 1 },
        { topic: 't', partition: 1, offset: 0 },
      ]),
    ).rejects.toMatchObject({ code: 'bus.commit_rejected' });
    expect((await bus.admin().lag('g', 't'))[0]!.committed).toBe(-1);
    await first.commit([{ topic: 't', partition: 0, offset: 3 }]);
    expect((await bus.admin().lag('g', 't'))[0]!.committed).toBe(3);

    second.kill();
    await expect(second.commit([{ topic: 't', partition: 1, offset: 0 }])).rejects.toMatchObject({
      code: 'bus.member_dead',
    });
    await first.close();
    await expect(first.commit([{ topic: 't', partition: 0, offset: 3 }])).rejects.toMatchObject({
      code: 'bus.consumer_closed',
    });
    await expect(first.start({ onBatch: () => {} })).rejects.toMatchObject({ code: 'bus.consumer_started' });
  });

  it('starts a group without offsets at the log end with startFrom latest', async () => {
    const bus = await busWithTopic('t', 1);
    await fill(bus, 't', 0, 5);
    const member = await RecordingMember.start(bus, group('g', 't', { startFrom: 'latest' }));
    await fill(bus, 't', 0, 3);
    await waitFor(() => member.records.length >= 3, 'the records produced after joining');
    expect(member.offsets('t', 0)).toEqual([5, 6, 7]);
  });

  it('reports a failing handler and goes on with the next batch', async () => {
    const errors: BusError[] = [];
    const bus = await busWithTopic('t', 1, { onHandlerError: (error) => errors.push(error) });
    await fill(bus, 't', 0, 4);
    const seen: number[] = [];
    const consumer = bus.consumer(group('g', 't', { maxBatchRecords: 2 }));
    await consumer.start({
      onBatch: (batch) => {
        seen.push(...batch.records.map((record) => record.offset));
        if (batch.records[0]!.offset === 0) throw new Error('handler bug');
      },
      onRevoked: () => {
        throw new Error('revoke bug');
      },
    });
    await waitFor(() => seen.length === 4, 'the batch after the failed one');
    expect(seen).toEqual([0, 1, 2, 3]);
    await consumer.close();
    expect(errors.map((error) => [error.code, error.context['handler']])).toEqual([
      ['bus.handler_failed', 'onBatch'],
      ['bus.handler_failed', 'onRevoked'],
    ]);
    expect(errors[0]!.context).toMatchObject({ groupId: 'g', topic: 't', partition: 0, first: 0, last: 1 });
    expect((errors[0]!.cause as Error).message).toBe('handler bug');
  });

  it('refuses bad records without writing any of their batch', async () => {
    const bus = await busWithTopic('t', 2, { maxMessageBytes: 100 });
    const producer = bus.producer();
    const good = { topic: 't', key: 'k', value };
    await expect(
      producer.send([good, { topic: 't', key: 'k', value: new Uint8Array(101) }]),
    ).rejects.toMatchObject({
      code: 'bus.produce_failed',
      context: { reason: 'record_too_large', size: 102, maxMessageBytes: 100 },
    });
    await expect(producer.send([good, { ...good, partition: 2 }])).rejects.toMatchObject({
      context: { reason: 'unknown_partition' },
    });
    await expect(producer.send([{ ...good, headers: { n: 1 as unknown as string } }])).rejects.toMatchObject({
      context: { reason: 'invalid_record' },
    });
    expect(bus.logRange('t', 0).end + bus.logRange('t', 1).end).toBe(0);
    expect(await producer.send([])).toEqual([]);
  });

  it('spreads unkeyed records round-robin and places keyed ones by murmur2', async () => {
    const bus = await busWithTopic('t', 4);
    const metadata = await bus.producer().send(range(8).map(() => ({ topic: 't', key: null, value })));
    const counts = range(4).map(
      (partition) => metadata.filter((meta) => meta.partition === partition).length,
    );
    expect(counts).toEqual([2, 2, 2, 2]);
    for (const host of ['example.com', 'www.kraul.dev', 'bücher.de']) {
      expect(partitionFor(host, 12)).toBe(partitionForKey(host, 12));
    }
    expect(() => partitionFor('example.com', 0)).toThrow(
      expect.objectContaining({ code: 'bus.invalid_partition_count' }),
    );
  });

  it('copies record values, so a producer may reuse its buffer', async () => {
    const bus = await busWithTopic('t', 1);
    const buffer = new Uint8Array([1, 2, 3]);
    const sent = bus.producer().send([{ topic: 't', key: null, value: buffer }]);
    buffer[0] = 9;
    await sent;
    const member = await RecordingMember.start(bus, group('g', 't'));
    await waitFor(() => member.records.length === 1, 'the record');
    expect(Array.from(member.records[0]!.value)).toEqual([1, 2, 3]);
  });

  describe('retention', () => {
    it('drops whole segments every group has committed past', async () => {
      const bus = await busWithTopic('t', 1);
      await fill(bus, 't', 0, 5_000);
      const fast = bus.consumer(group('fast', 't'));
      const slow = bus.consumer(group('slow', 't'));
      await fast.start({ onBatch: () => {} });
      await slow.start({ onBatch: () => {} });
      const tp = { topic: 't', partition: 0 };

      await fast.commit([{ ...tp, offset: 3_000 }]);
      expect(bus.logRange('t', 0)).toEqual({ start: 0, end: 5_000 });
      await slow.commit([{ ...tp, offset: 1_500 }]);
      expect(bus.logRange('t', 0)).toEqual({ start: 1_024, end: 5_000 });
      await slow.commit([{ ...tp, offset: 5_000 }]);
      await fast.commit([{ ...tp, offset: 5_000 }]);
      // The last segment is still being written: it stays until full.
      expect(bus.logRange('t', 0)).toEqual({ start: 4_096, end: 5_000 });

      await fill(bus, 't', 0, 1_000);
      await fast.commit([{ ...tp, offset: 6_000 }]);
      await slow.commit([{ ...tp, offset: 6_000 }]);
      expect(bus.logRange('t', 0)).toEqual({ start: 5_120, end: 6_000 });

      // A new group without offsets starts at the oldest record still held.
      const late = await RecordingMember.start(bus, group('late', 't'));
      await waitFor(() => late.records.length === 880, 'the records still held');
      expect(late.offsets('t', 0)[0]).toBe(5_120);
      expect((await bus.admin().lag('late', 't'))[0]).toMatchObject({
        committed: -1,
        logEnd: 6_000,
        lag: 880,
      });
    });

    it('keeps everything when told to, on compacted topics and on topics no group reads', async () => {
      const keepAll = await busWithTopic('t', 1, { trimCommitted: false });
      const compacted = await busWithTopic('t', 1, {}, { 'cleanup.policy': 'compact' });
      const unread = await busWithTopic('t', 1);
      for (const bus of [keepAll, compacted, unread]) await fill(bus, 't', 0, 3_000);
      for (const bus of [keepAll, compacted]) {
        const consumer = bus.consumer(group('g', 't'));
        await consumer.start({ onBatch: () => {} });
        await consumer.commit([{ topic: 't', partition: 0, offset: 3_000 }]);
      }
      for (const bus of [keepAll, compacted, unread])
        expect(bus.logRange('t', 0)).toEqual({ start: 0, end: 3_000 });
    });
  });

  it('leaves no timer behind once closed', async () => {
    const timers = () =>
      process
        .getActiveResourcesInfo()
        .filter((resource) => resource === 'Timeout' || resource === 'Immediate').length;
    const baseline = timers();
    const bus = createMemoryBus();
    await bus.admin().createTopics([{ name: 't', partitions: 3 }]);
    const producer = bus.producer();
    await fill(bus, 't', 0, 10);
    const idle = bus.consumer(group('idle', 't'));
    await idle.start({ onBatch: () => {} });
    const paused = bus.consumer(group('paused', 't'));
    await paused.start({ onBatch: () => {}, onAssigned: (partitions) => paused.pause(partitions) });
    const dead = bus.consumer(group('idle', 't', { sessionTimeoutMs: 60_000 }));
    await dead.start({ onBatch: () => {} });
    dead.kill();
    const pendingSend = producer.send([{ topic: 't', key: null, value }]);
    expect(timers()).toBeGreaterThan(baseline);

    await bus.close();
    await pendingSend;
    expect(timers()).toBe(baseline);
    expect(() => bus.producer()).toThrow(expect.objectContaining({ code: 'bus.closed' }));
    expect(() => bus.consumer(group('g', 't'))).toThrow(BusError);
    await expect(producer.send([{ topic: 't', key: null, value }])).rejects.toBeInstanceOf(ProduceError);
  });

  it('moves 100,000 records through a group of two with commits', async () => {
    const bus = await busWithTopic('bulk', 8);
    const producer = bus.producer();
    const hosts = range(500).map((index) => `host-${index}.example`);
    const started = performance.now();
    for (const send of range(100)) {
      await producer.send(
        range(1_000).map((index) => ({ topic: 'bulk', key: hosts[(send * 1_000 + index) % 500]!, value })),
      );
    }
    const produced = performance.now();
    const seen = new Set<string>();
    const members = await Promise.all(
      range(2).map(async () => {
        const tracker = new OffsetTracker();
        const consumer = bus.consumer(group('bulk', 'bulk'));
        await consumer.start({
          onBatch: async (batch) => {
            tracker.trackBatch(batch);
            for (const record of batch.records) {
              seen.add(`${record.partition}:${record.offset}`);
              tracker.complete(batch, record.offset);
            }
            await consumer.commit(tracker.committableOffsets());
          },
          onRevoked: (partitions) => {
            for (const tp of partitions) tracker.drop(tp);
          },
        });
        return consumer;
      }),
    );
    await waitFor(() => seen.size === 100_000, 'all 100,000 records');
    const consumed = performance.now();
    console.info(
      `[memory bus] 100,000 records: produced in ${Math.round(produced - started)} ms,` +
        ` consumed by 2 members in ${Math.round(consumed - produced)} ms`,
    );
    expect(members.map((member) => member.assignment().length)).toEqual([4, 4]);
    await waitFor(async () => {
      const lag = await bus.admin().lag('bulk', 'bulk');
      return lag.every((partition) => partition.lag === 0);
    }, 'every offset committed');
    // Retention followed the commits: at most the last, partly filled segment remains.
    for (const partition of range(8)) {
      const { start, end } = bus.logRange('bulk', partition);
      expect(end - start).toBeLessThan(1_024);
    }
  });

  it('describes, deletes and recreates topics, dropping their offsets', async () => {
    const bus = await busWithTopic('t', 2);
    const admin = bus.admin();
    await expect(admin.createTopics([{ name: 'bad name', partitions: 1 }])).rejects.toMatchObject({
      code: 'bus.invalid_topic',
    });
    await expect(
      admin.createTopics([
        { name: 'ok', partitions: 1 },
        { name: 'x', partitions: 0 },
      ]),
    ).rejects.toMatchObject({ code: 'bus.invalid_topic' });
    await expect(admin.describeTopics(['ok'])).rejects.toMatchObject({ code: 'bus.unknown_topic' });
    await fill(bus, 't', 0, 3);
    const consumer = bus.consumer(group('g', 't'));
    await consumer.start({ onBatch: () => {} });
    await consumer.commit([{ topic: 't', partition: 0, offset: 3 }]);
    await admin.deleteTopics(['t', 'never-existed']);
    await waitFor(() => consumer.assignment().length === 0, 'the deleted partitions to be revoked');
    await admin.createTopics([{ name: 't', partitions: 1 }]);
    expect(await admin.describeTopics(['t'])).toEqual([{ name: 't', partitions: 1 }]);
    await waitFor(() => consumer.assignment().length === 1, 'the recreated topic to be assigned');
    expect(await admin.lag('g', 't')).toEqual([
      { topic: 't', partition: 0, committed: -1, logEnd: 0, lag: 0 },
    ]);
    await admin.close();
    await expect(admin.lag('g', 't')).rejects.toMatchObject({ code: 'bus.admin_closed' });
  });
});
