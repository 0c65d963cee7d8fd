import { testBrokers, uniqueName } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaBus } from '../src/kafka/bus.ts';
import type { PartitionBatch } from '../src/types.ts';
import { waitFor } from './contract/wait-for.ts';

const encoder = new TextEncoder();
/** Far longer than the test waits for anything: a fetch that waited it out would fail the test. */
const LONG_FETCH_WAIT_MS = 60_000;

describe('kafka bus fetch rounds', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('asks for a partition again soon after its waiting chunk is handed out, however long fetches may wait', async () => {
    const bus = createKafkaBus({ brokers: testBrokers(), clientId: uniqueName('kraul-test') });
    cleanups.push(() => bus.close());
    const topic = uniqueName('kraul-test-fetch-wait');
    await bus.admin().createTopics([{ name: topic, partitions: 2 }]);
    const producer = bus.producer();
    const send = (partition: number, value: string) =>
      producer.send([{ topic, key: null, partition, value: encoder.encode(value) }]);

    const seen: { value: string; at: number }[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = bus.consumer({
      groupId: uniqueName('kraul-test-group-fetch-wait'),
      topics: [topic],
      maxWaitMs: LONG_FETCH_WAIT_MS,
      sessionTimeoutMs: 10_000,
    });
    cleanups.push(() => consumer.close());
    await consumer.start({
      onBatch: async (batch: PartitionBatch) => {
        for (const record of batch.records)
          seen.push({ value: new TextDecoder().decode(record.value), at: performance.now() });
        // The first batch is held: what partition 0 gets meanwhile waits in its stream.
        if (batch.records.some((record) => new TextDecoder().decode(record.value) === 'first')) await held;
      },
    });
    await waitFor(() => consumer.assignment().length === 2, 'both partitions assigned');

    await send(0, 'first');
    await waitFor(() => seen.some((s) => s.value === 'first'), 'the first record');
    await send(0, 'second');
    // Time for a fetch to bring 'second' into the stream while 'first' is held; partition 1
    // stays quiet, so a fetch that asked for it alone would wait the whole LONG_FETCH_WAIT_MS.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    release();
    await waitFor(() => seen.some((s) => s.value === 'second'), 'the second record');

    const sentAt = performance.now();
    await send(0, 'third');
    await waitFor(() => seen.some((s) => s.value === 'third'), 'the third record', LONG_FETCH_WAIT_MS);
    const third = seen.find((s) => s.value === 'third')!;
    expect(third.at - sentAt).toBeLessThan(LONG_FETCH_WAIT_MS / 4);
    expect(seen.map((s) => s.value)).toEqual(['first', 'second', 'third']);
  });
});
