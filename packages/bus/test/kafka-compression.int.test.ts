import { testBrokers, uniqueName } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaBus } from '../src/kafka/bus.ts';
import { KAFKA_COMPRESSIONS, type KafkaCompression } from '../src/kafka/options.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { waitFor } from './contract/wait-for.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Kafka producer compression', () => {
  it.each(KAFKA_COMPRESSIONS)('writes %s batches that a consumer reads back unchanged', async (codec) => {
    const bus = createKafkaBus({
      brokers: testBrokers(),
      clientId: uniqueName('kraul-test'),
      compression: codec as KafkaCompression,
    });
    cleanups.push(() => bus.close());
    const admin = bus.admin();
    cleanups.push(() => admin.close());
    const topic = uniqueName(`kraul-test-compression-${codec}`);
    await admin.createTopics([{ name: topic, partitions: 2 }]);
    // JSON much like kraul's records: repetitive, so every codec has something to do.
    const values = Array.from({ length: 50 }, (_, n) =>
      JSON.stringify({ v: 1, type: 'fetch.request', url: `https://host-${n % 5}.example/page/${n}`, n }),
    );
    await bus
      .producer()
      .send(values.map((value, n) => ({ topic, key: `host-${n % 5}`, value: encoder.encode(value) })));
    const member = await RecordingMember.start(bus, {
      groupId: uniqueName(`kraul-test-group-compression-${codec}`),
      topics: [topic],
      maxWaitMs: 500,
    });
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.records.length >= values.length, `all ${codec} records read back`);
    expect(member.records.map((record) => decoder.decode(record.value)).sort()).toEqual([...values].sort());
  });
});
