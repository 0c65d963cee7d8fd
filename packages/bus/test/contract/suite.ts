import { randomBytes } from 'node:crypto';
import { partitionForKey } from '@kraul/url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusError, ProduceError } from '../../src/errors.ts';
import { OffsetTracker } from '../../src/offset-tracker.ts';
import type { Bus, BusAdmin, ConsumerOptions, OutgoingRecord, RecordMetadata } from '../../src/types.ts';
import type { ContractHarness, DoomedMember } from './harness.ts';
import { RecordingMember, type RecordingOptions } from './recording-member.ts';
import { waitFor } from './wait-for.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function toPartitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function isStrictlyIncreasing(values: readonly number[]): boolean {
  return values.every((value, index) => index === 0 || value > values[index - 1]!);
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/**
 * The behaviour every bus implementation must show, run against one of them. Each test
 * works on its own bus, topics and groups (from the harness), and waits on outcomes with
 * generous deadlines, so it holds on a slow machine and against a real broker.
 */
export function busContract(name: string, makeHarness: () => ContractHarness): void {
  describe(`bus contract: ${name}`, { timeout: 120_000 }, () => {
    let harness: ContractHarness;
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(() => {
      harness = makeHarness();
    });

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    });

    async function openBus(): Promise<{ bus: Bus; admin: BusAdmin }> {
      const bus = await harness.makeBus();
      cleanups.push(() => bus.close());
      return { bus, admin: bus.admin() };
    }

    async function createTopic(admin: BusAdmin, label: string, partitions: number): Promise<string> {
      const topic = harness.uniqueTopic(label);
      await admin.createTopics([{ name: topic, partitions }]);
      return topic;
    }

    function groupOptions(
      label: string,
      topic: string,
      extra: Partial<ConsumerOptions> = {},
    ): ConsumerOptions {
      return {
        groupId: harness.uniqueTopic(`group-${label}`),
        topics: [topic],
        ...harness.fastSession,
        ...extra,
      };
    }

    function startMember(
      bus: Bus,
      options: ConsumerOptions,
      recording?: RecordingOptions,
    ): Promise<RecordingMember> {
      return RecordingMember.start(bus, options, recording);
    }

    async function startDoomed(
      bus: Bus,
      options: ConsumerOptions,
    ): Promise<DoomedMember & { dead: boolean }> {
      const doomed = Object.assign(await harness.startDoomedMember(options, bus), { dead: false });
      cleanups.push(async () => {
        if (!doomed.dead) await doomed.kill();
      });
      return doomed;
    }

    it('reads a whole topic with a reader, from the start and then following, with no group', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'reader', 3);
      const producer = bus.producer();
      await producer.send(range(30).map((index) => ({ topic, key: `k${index}`, value: bytes(`v${index}`) })));
      const seen: string[] = [];
      const reader = bus.reader({ topic });
      cleanups.push(() => reader.close());
      await reader.start(({ records }) => {
        for (const record of records) seen.push(decoder.decode(record.value));
      });
      await waitFor(() => seen.length === 30, 'the reader to read every record');
      await producer.send([{ topic, key: 'late', value: bytes('late') }]);
      await waitFor(() => seen.includes('late'), 'the reader to follow the topic');
      expect(new Set(seen)).toEqual(new Set([...range(30).map((index) => `v${index}`), 'late']));
      await reader.close();
      // Records after close are not delivered.
      await producer.send([{ topic, key: 'after', value: bytes('after') }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).not.toContain('after');
    });

    it('keeps the order of every partition', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'order', 4);
      const producer = bus.producer();
      const hosts = range(37).map((index) => `host-${index}.example`);
      const nextSequence = new Map<string, number>();
      const metadata: RecordMetadata[] = [];
      for (const send of range(10)) {
        const batch = range(100).map((index): OutgoingRecord => {
          const key = hosts[(send * 100 + index) % hosts.length]!;
          const sequence = nextSequence.get(key) ?? 0;
          nextSequence.set(key, sequence + 1);
          return { topic, key, value: bytes(`${key}#${sequence}`) };
        });
        metadata.push(...(await producer.send(batch)));
      }
      expect(metadata).toHaveLength(1_000);
      for (const partition of range(4)) {
        const acknowledged = metadata
          .filter((meta) => meta.partition === partition)
          .map((meta) => meta.offset);
        expect(isStrictlyIncreasing(acknowledged)).toBe(true);
      }

      const member = await startMember(bus, groupOptions('order', topic, { maxBatchRecords: 100 }));
      await waitFor(() => member.records.length >= 1_000, 'all 1,000 records');

      expect(member.records).toHaveLength(1_000);
      for (const partition of range(4)) {
        expect(isStrictlyIncreasing(member.offsets(topic, partition))).toBe(true);
      }
      const sequences = new Map<string, number[]>();
      for (const record of member.records) {
        const [key, sequence] = decoder.decode(record.value).split('#');
        expect(record.key).toBe(key);
        sequences.set(key!, [...(sequences.get(key!) ?? []), Number(sequence)]);
      }
      for (const [key, seen] of sequences) expect(seen).toEqual(range(nextSequence.get(key)!));
    });

    it("places keyed records on the partition Java's murmur2 partitioner picks", async () => {
      const { bus, admin } = await openBus();
      const partitions = 12;
      const topic = await createTopic(admin, 'placement', partitions);
      const keys = range(200).map((index) => {
        if (index % 4 === 0) return `www.site-${index}.com`;
        if (index % 4 === 1) return `cdn${index}.static.example.org`;
        if (index % 4 === 2) return `shop-${index}.co.uk`;
        return `bücher-${index}.de`;
      });
      const metadata = await bus.producer().send(keys.map((key) => ({ topic, key, value: bytes(key) })));
      metadata.forEach((meta, index) => {
        expect(meta.partition).toBe(partitionForKey(keys[index]!, partitions));
      });

      const member = await startMember(bus, groupOptions('placement', topic));
      await waitFor(() => member.records.length >= keys.length, 'every keyed record');
      for (const record of member.records) {
        expect(record.partition).toBe(partitionForKey(record.key!, partitions));
      }
    });

    it('hands every partition to the remaining member when one leaves', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'leave', 6);
      const options = groupOptions('leave', topic);
      const stayer = await startMember(bus, options);
      await waitFor(
        () => stayer.consumer.assignment().length === 6,
        'the first member to own all 6 partitions',
      );
      const leaver = await startMember(bus, options);
      await waitFor(() => {
        const owned = [...stayer.consumer.assignment(), ...leaver.consumer.assignment()];
        const distinct = new Set(owned.map((tp) => toPartitionKey(tp.topic, tp.partition)));
        return (
          stayer.consumer.assignment().length > 0 &&
          leaver.consumer.assignment().length > 0 &&
          distinct.size === 6
        );
      }, 'both members to share the 6 partitions');

      await leaver.consumer.close();
      expect(leaver.revoked.flat().length).toBeGreaterThan(0);
      const leaverBatches = leaver.batches.length;
      await waitFor(
        () => stayer.consumer.assignment().length === 6,
        'the remaining member to own all 6 partitions',
      );

      await bus
        .producer()
        .send(range(6).map((partition) => ({ topic, key: null, partition, value: bytes('after') })));
      await waitFor(
        () => range(6).every((partition) => stayer.offsets(topic, partition).length > 0),
        'records of all 6 partitions at the remaining member',
      );
      expect(leaver.batches).toHaveLength(leaverBatches);
    });

    it('rebalances incrementally: only partitions that change owner are revoked or assigned', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'incremental', 6);
      const options = groupOptions('incremental', topic);
      const keys = (lists: { topic: string; partition: number }[][]) =>
        lists
          .flat()
          .map((tp) => toPartitionKey(tp.topic, tp.partition))
          .sort();
      const first = await startMember(bus, options);
      await waitFor(
        () => first.consumer.assignment().length === 6,
        'the first member to own all 6 partitions',
      );
      const second = await startMember(bus, options);
      await waitFor(() => {
        const owned = [...first.consumer.assignment(), ...second.consumer.assignment()];
        return (
          first.consumer.assignment().length === 3 &&
          second.consumer.assignment().length === 3 &&
          new Set(owned.map((tp) => toPartitionKey(tp.topic, tp.partition))).size === 6
        );
      }, 'the two members to own 3 partitions each');
      const kept = first.consumer.assignment();
      const moved = second.consumer.assignment();
      // The first member gave up exactly what moved, and never lost what it kept.
      expect(keys(first.revoked)).toEqual(keys([moved]));
      expect(keys(first.assigned)).toEqual(keys([[...kept, ...moved]]));
      expect(keys(second.assigned)).toEqual(keys([moved]));

      // Records of kept partitions keep flowing to the first member.
      await bus
        .producer()
        .send(range(6).map((partition) => ({ topic, key: null, partition, value: bytes('after') })));
      await waitFor(
        () => kept.every((tp) => first.offsets(topic, tp.partition).length > 0),
        'records of the kept partitions at the first member',
      );

      // When the second member leaves, the first one is assigned only what it did not own.
      await second.consumer.close();
      expect(keys(second.revoked)).toEqual(keys([moved]));
      await waitFor(() => first.consumer.assignment().length === 6, 'the first member to own all 6 again');
      expect(keys(first.assigned.slice(1))).toEqual(keys([moved]));
      expect(keys(first.revoked)).toEqual(keys([moved]));
    });

    it('stores commit metadata with the offset, for the next owner to read', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'metadata', 2);
      const options = groupOptions('metadata', topic);
      const first = await startMember(bus, options);
      await waitFor(() => first.consumer.assignment().length === 2, 'the member to own both partitions');
      await first.consumer.commit([{ topic, partition: 0, offset: 0, metadata: '{"v":1,"until":{"a":1}}' }]);
      await first.consumer.close();
      const next = await startMember(bus, options);
      await waitFor(() => next.consumer.assignment().length === 2, 'the next member to own both partitions');
      expect(
        await next.consumer.committed([
          { topic, partition: 0 },
          { topic, partition: 1 },
        ]),
      ).toEqual([
        { topic, partition: 0, offset: 0, metadata: '{"v":1,"until":{"a":1}}' },
        { topic, partition: 1, offset: -1, metadata: null },
      ]);
    });

    it("redelivers a dead member's uncommitted records to the survivor", async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'death', 4);
      const options = groupOptions('death', topic);
      const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
      const survivor = await startMember(bus, options);
      await waitFor(
        () => survivor.consumer.assignment().length === 4,
        'the survivor to own all 4 partitions',
      );
      const doomed = await startDoomed(bus, options);
      await waitFor(async () => {
        const doomedOwns = (await doomed.assigned()).length;
        return doomedOwns > 0 && doomedOwns + survivor.consumer.assignment().length === 4;
      }, 'the doomed member to get some of the partitions');

      const perPartition = 5;
      await bus
        .producer()
        .send(
          range(4).flatMap((partition) =>
            range(perPartition).map(() => ({ topic, key: null, partition, value: bytes(`p${partition}`) })),
          ),
        );
      const doomedPartitions = await doomed.assigned();
      await waitFor(async () => {
        const received = await doomed.received();
        return doomedPartitions.every((key) => (received.get(key)?.length ?? 0) >= perPartition);
      }, 'the doomed member to receive the records of its partitions');
      const ownPartitions = survivor.consumer.assignment();
      await waitFor(
        () => ownPartitions.every((tp) => survivor.offsets(tp.topic, tp.partition).length >= perPartition),
        "the survivor to receive its own partitions' records",
      );
      await survivor.consumer.commit(ownPartitions.map((tp) => ({ ...tp, offset: perPartition })));
      const receivedBeforeDeath = await doomed.received();

      const killedAt = performance.now();
      doomed.dead = true;
      await doomed.kill();
      const deadline = sessionTimeoutMs * 4 + 10_000;
      await waitFor(
        () => survivor.consumer.assignment().length === 4,
        'the survivor to own all 4 partitions',
        deadline,
      );
      const elapsedMs = Math.round(performance.now() - killedAt);
      console.info(
        `[bus contract: ${name}] a dead member's partitions moved to the survivor ${elapsedMs} ms after kill()` +
          ` (sessionTimeoutMs ${sessionTimeoutMs})`,
      );
      expect(elapsedMs).toBeLessThan(deadline);

      await waitFor(
        () =>
          [...receivedBeforeDeath].every(([key, offsets]) => {
            const [, partition] = key.split(':');
            const redelivered = new Set(survivor.offsets(topic, Number(partition)));
            return offsets.every((offset) => redelivered.has(offset));
          }),
        'every record the dead member had received to reach the survivor',
      );
      expect([...receivedBeforeDeath.values()].flat()).toHaveLength(doomedPartitions.length * perPartition);
    });

    it('commits the lowest unfinished offset when records finish out of order', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'commit', 1);
      const tp = { topic, partition: 0 };
      await bus
        .producer()
        .send(range(6).map((index) => ({ topic, key: 'one.example', value: bytes(`${index}`) })));
      const options = groupOptions('commit', topic);
      const tracker = new OffsetTracker();
      const first = await startMember(bus, options, { onBatch: (batch) => tracker.trackBatch(batch) });
      await waitFor(() => first.records.length >= 6, 'the 6 records at the first member');

      for (const offset of [0, 1, 3, 4]) expect(tracker.complete(tp, offset)).toBe(true);
      expect(tracker.pending(tp)).toBe(2);
      expect(tracker.committable(tp)).toBe(2);
      await first.consumer.commit([{ ...tp, offset: 2 }]);
      tracker.markCommitted(tp, 2);
      expect(tracker.committable(tp)).toBeUndefined();
      await first.consumer.close();

      const second = await startMember(bus, options);
      await waitFor(() => second.records.length >= 4, 'the unfinished records at the next member');
      expect(second.offsets(topic, 0)).toEqual([2, 3, 4, 5]);
    });

    it('pauses one partition while another keeps flowing', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'pause', 2);
      const producer = bus.producer();
      const sendTo = (partition: number, count: number) =>
        producer.send(
          range(count).map(() => ({ topic, key: null, partition, value: bytes(`p${partition}`) })),
        );
      await sendTo(0, 20);
      await sendTo(1, 20);
      const paused = { topic, partition: 0 };
      let pausedInBatch = false;
      const member = await startMember(bus, groupOptions('pause', topic, { maxBatchRecords: 5 }), {
        onBatch: (batch, self) => {
          if (batch.partition === 0 && !pausedInBatch) {
            pausedInBatch = true;
            self.consumer.pause([paused]);
          }
        },
      });
      await waitFor(
        () => pausedInBatch && member.offsets(topic, 1).length === 20,
        'partition 0 paused and every record of partition 1',
      );
      const receivedWhilePaused = member.offsets(topic, 0).length;
      expect(receivedWhilePaused).toBeGreaterThan(0);
      expect(receivedWhilePaused).toBeLessThanOrEqual(5);
      expect(member.consumer.isPaused(paused)).toBe(true);
      expect(member.consumer.isPaused({ topic, partition: 1 })).toBe(false);

      // New traffic on both: the unpaused partition takes it, the paused one does not.
      await sendTo(0, 5);
      await sendTo(1, 5);
      await waitFor(() => member.offsets(topic, 1).length === 25, 'the new records of partition 1');
      expect(member.offsets(topic, 0)).toHaveLength(receivedWhilePaused);

      member.consumer.resume([paused]);
      expect(member.consumer.isPaused(paused)).toBe(false);
      await waitFor(() => member.offsets(topic, 0).length === 25, 'the rest of partition 0 after resume');
      expect(member.offsets(topic, 0)).toEqual(range(25));
    });

    it('delivers one batch of a partition at a time, within maxBatchRecords', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'batches', 2);
      await bus
        .producer()
        .send(
          range(60).map((index) => ({ topic, key: null, partition: index % 2, value: bytes(`${index}`) })),
        );
      const member = await startMember(bus, groupOptions('batches', topic, { maxBatchRecords: 4 }), {
        // A handler that takes a while: the next batch of its partition must wait for it.
        onBatch: () => new Promise((resolve) => setTimeout(resolve, 5)),
      });
      await waitFor(() => member.records.length >= 60, 'all 60 records');
      expect(member.overlaps).toBe(0);
      for (const batch of member.batches) {
        expect(batch.records.length).toBeGreaterThan(0);
        expect(batch.records.length).toBeLessThanOrEqual(4);
        expect(batch.records.every((record) => record.partition === batch.partition)).toBe(true);
      }
      expect(member.offsets(topic, 0)).toEqual(range(30));
      expect(member.offsets(topic, 1)).toEqual(range(30));
    });

    it("reports a group's lag per partition from its committed offsets", async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'lag', 2);
      const producer = bus.producer();
      await producer.send(range(10).map(() => ({ topic, key: null, partition: 0, value: bytes('zero') })));
      await producer.send(range(3).map(() => ({ topic, key: null, partition: 1, value: bytes('one') })));
      const options = groupOptions('lag', topic);
      const byPartition = (lags: Awaited<ReturnType<BusAdmin['lag']>>) =>
        [...lags]
          .sort((a, b) => a.partition - b.partition)
          .map(({ committed, logEnd, lag }) => ({ committed, logEnd, lag }));

      expect(byPartition(await admin.lag(options.groupId, topic))).toEqual([
        { committed: -1, logEnd: 10, lag: 10 },
        { committed: -1, logEnd: 3, lag: 3 },
      ]);

      const member = await startMember(bus, options);
      await waitFor(() => member.records.length >= 13, 'all 13 records');
      await member.consumer.commit([{ topic, partition: 0, offset: 4 }]);
      expect(byPartition(await admin.lag(options.groupId, topic))).toEqual([
        { committed: 4, logEnd: 10, lag: 6 },
        { committed: -1, logEnd: 3, lag: 3 },
      ]);
    });

    it('reports a batch it could not write and writes the next one', async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'failure', 1);
      const producer = bus.producer();
      // Over the 1 MiB record limit Kafka brokers and the memory bus have by default, and random
      // so no producer compression brings it under the limit.
      const oversized: OutgoingRecord = {
        topic,
        key: 'huge.example',
        value: randomBytes(2 * 1024 * 1024),
      };
      const failure = await producer.send([oversized]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ProduceError);
      const failedRecords = (failure as ProduceError).records;
      expect(
        failedRecords.some(
          (record) => record.key === 'huge.example' && record.value.byteLength === oversized.value.byteLength,
        ),
      ).toBe(true);

      const good = ['a.example', 'b.example'].map((key) => ({ topic, key, value: bytes(key) }));
      const metadata = await producer.send(good);
      expect(metadata).toHaveLength(2);
      const member = await startMember(bus, groupOptions('failure', topic));
      await waitFor(() => member.records.length >= 2, 'the records written after the failure');
      expect(member.records.map((record) => record.key)).toEqual(['a.example', 'b.example']);
    });

    it('creates topics idempotently and never creates one on its own', async () => {
      const { bus, admin } = await openBus();
      const topic = harness.uniqueTopic('topics');
      await admin.createTopics([{ name: topic, partitions: 3 }]);
      await admin.createTopics([{ name: topic, partitions: 3 }]);
      const [described] = await admin.describeTopics([topic]);
      expect(described).toMatchObject({ name: topic, partitions: 3 });
      // A bus with replicas says how many; a healthy topic has none out of sync.
      if (described?.replicationFactor !== undefined) {
        expect(described.replicationFactor).toBeGreaterThanOrEqual(1);
        expect(described.underReplicatedPartitions).toBe(0);
      }

      const missing = harness.uniqueTopic('missing');
      await expect(
        bus.producer().send([{ topic: missing, key: 'k', value: bytes('v') }]),
      ).rejects.toBeInstanceOf(ProduceError);
      const consumer = bus.consumer(groupOptions('missing', missing));
      await expect(consumer.start({ onBatch: () => {} })).rejects.toBeInstanceOf(BusError);
      await expect(admin.describeTopics([missing])).rejects.toBeInstanceOf(BusError);
    });

    it("keeps a record's key, value bytes, headers and timestamp as written", async () => {
      const { bus, admin } = await openBus();
      const topic = await createTopic(admin, 'roundtrip', 1);
      const allBytes = Uint8Array.from(range(256));
      const headers = { 'content-type': 'application/json', 'x-ünïcode': 'wert ✓ 漢字', empty: '' };
      const before = Date.now();
      await bus.producer().send([
        { topic, key: 'bücher.example', value: allBytes, headers },
        { topic, key: null, value: new Uint8Array(0) },
      ]);
      const after = Date.now();

      const first = await startMember(bus, groupOptions('roundtrip-a', topic));
      const second = await startMember(bus, groupOptions('roundtrip-b', topic));
      await waitFor(
        () => first.records.length >= 2 && second.records.length >= 2,
        'both records in both groups',
      );
      const [keyed, unkeyed] = first.records;
      expect(keyed!.key).toBe('bücher.example');
      expect(keyed!.value).toBeInstanceOf(Uint8Array);
      expect(Array.from(keyed!.value)).toEqual(Array.from(allBytes));
      expect(keyed!.headers).toEqual(headers);
      expect(unkeyed!.key).toBeNull();
      expect(unkeyed!.value.byteLength).toBe(0);
      expect(unkeyed!.headers).toEqual({});
      // The producer sets no timestamp: the stored one is taken while `send` runs (a second of
      // slack for a broker on another clock), and every reader sees the same value.
      for (const record of first.records) {
        expect(record.timestamp).toBeGreaterThanOrEqual(before - 1_000);
        expect(record.timestamp).toBeLessThanOrEqual(after + 1_000);
      }
      expect(second.records.map((record) => record.timestamp)).toEqual(
        first.records.map((record) => record.timestamp),
      );
    });
  });
}
