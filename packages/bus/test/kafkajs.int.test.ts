import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testBrokers, uniqueName } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterBus } from '../src/cluster-bus.ts';
import { BusError } from '../src/errors.ts';
import type { KafkaBusOptions } from '../src/kafka/options.ts';
import { createKafkajsBus, KafkajsBus } from '../src/kafkajs/bus.ts';
import type { BusAdmin, ConsumerOptions } from '../src/types.ts';
import type { ContractHarness } from './contract/harness.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { busContract } from './contract/suite.ts';
import { waitFor } from './contract/wait-for.ts';
import { startMemberProcess } from './member-process.ts';

const fastSession = { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, maxWaitMs: 500 };
const encoder = new TextEncoder();
const probeScript = fileURLToPath(new URL('./kafkajs-warning-probe.ts', import.meta.url));

function makeBus(options: Partial<KafkaBusOptions> = {}): KafkajsBus {
  return createKafkajsBus({ brokers: testBrokers(), clientId: uniqueName('kraul-test-kafkajs'), ...options });
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

const kafkajsHarness = (): ContractHarness => ({
  makeBus: async () => makeBus(),
  uniqueTopic: (label) => uniqueName(`kraul-test-kafkajs-${label}`),
  startDoomedMember: (options) => startMemberProcess(testBrokers(), options, 'kafkajs'),
  fastSession,
});

busContract('kafkajs', kafkajsHarness);

describe('kafkajs bus', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  function openBus(options: Partial<KafkaBusOptions> = {}): { bus: KafkajsBus; admin: BusAdmin } {
    const bus = makeBus(options);
    cleanups.push(() => bus.close());
    return { bus, admin: bus.admin() };
  }

  function group(label: string, topic: string, extra: Partial<ConsumerOptions> = {}): ConsumerOptions {
    return { groupId: uniqueName(`kraul-test-kafkajs-${label}`), topics: [topic], ...fastSession, ...extra };
  }

  it('is the bus createClusterBus makes for client kafkajs', async () => {
    const kafkajs = createClusterBus({ brokers: testBrokers(), clientId: 'kraul-test', client: 'kafkajs' });
    const platformatic = createClusterBus({ brokers: testBrokers(), clientId: 'kraul-test' });
    cleanups.push(
      () => kafkajs.close(),
      () => platformatic.close(),
    );
    expect(kafkajs).toBeInstanceOf(KafkajsBus);
    expect(platformatic).not.toBeInstanceOf(KafkajsBus);
    expect(() =>
      createClusterBus({ brokers: testBrokers(), clientId: 'kraul-test', client: 'rdkafka' as 'kafkajs' }),
    ).toThrow(/unknown Kafka client rdkafka/);
  });

  it('reads what the default client wrote and places keys the same way', async () => {
    const { bus, admin } = openBus();
    const partitions = 12;
    const topic = uniqueName('kraul-test-kafkajs-interop');
    await admin.createTopics([{ name: topic, partitions }]);
    const platformatic = createClusterBus({ brokers: testBrokers(), clientId: uniqueName('kraul-test') });
    cleanups.push(() => platformatic.close());
    const keys = range(300).map((index) =>
      index % 2 === 0 ? `www.site-${index}.com` : `bücher-${index}.de`,
    );
    const fromPlatformatic = await platformatic
      .producer()
      .send(keys.map((key) => ({ topic, key, value: encoder.encode(key) })));
    const fromKafkajs = await bus
      .producer()
      .send(keys.map((key) => ({ topic, key, value: encoder.encode(key) })));
    expect(fromKafkajs.map((meta) => meta.partition)).toEqual(fromPlatformatic.map((meta) => meta.partition));
    expect(fromKafkajs.map((meta) => meta.partition)).toEqual(
      keys.map((key) => partitionForKey(key, partitions)),
    );

    const member = await RecordingMember.start(bus, group('interop', topic));
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.records.length >= keys.length * 2, 'all 600 records read back');
    const written = new Set(
      [...fromPlatformatic, ...fromKafkajs].map((meta) => `${meta.partition}@${meta.offset}`),
    );
    expect(new Set(member.records.map((record) => `${record.partition}@${record.offset}`))).toEqual(written);
  });

  it('hands partitions over when a member closes, and revokes all it had', async () => {
    const { bus, admin } = openBus();
    const topic = uniqueName('kraul-test-kafkajs-handover');
    await admin.createTopics([{ name: topic, partitions: 12 }]);
    const options = group('handover', topic);
    const stayer = await RecordingMember.start(bus, options);
    cleanups.push(() => stayer.consumer.close());
    const leaver = await RecordingMember.start(bus, options);
    await waitFor(
      () => stayer.consumer.assignment().length > 0 && leaver.consumer.assignment().length > 0,
      'both members to own partitions',
    );
    const closedAt = performance.now();
    await leaver.consumer.close();
    await waitFor(() => stayer.consumer.assignment().length === 12, 'the remaining member to own all 12');
    console.info(
      `[kafkajs bus] 12 partitions handed over ${Math.round(performance.now() - closedAt)} ms after close()`,
    );
    expect(leaver.revoked.flat()).toHaveLength(leaver.assigned.flat().length);
    expect(leaver.consumer.assignment()).toEqual([]);
  });

  it('reports a handler that throws and goes on with the next batch', async () => {
    const errors: BusError[] = [];
    const { bus, admin } = openBus({ onHandlerError: (error) => errors.push(error) });
    const topic = uniqueName('kraul-test-kafkajs-handler-error');
    await admin.createTopics([{ name: topic, partitions: 1 }]);
    await bus
      .producer()
      .send(range(10).map((index) => ({ topic, key: null, value: encoder.encode(`${index}`) })));
    let calls = 0;
    const member = await RecordingMember.start(bus, group('handler-error', topic, { maxBatchRecords: 5 }), {
      onBatch: () => {
        calls += 1;
        if (calls === 1) throw new Error('handler broke');
      },
    });
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.records.length >= 10, 'both batches');
    expect(member.offsets(topic, 0)).toEqual(range(10));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'bus.handler_failed',
      context: { handler: 'onBatch', first: 0, last: 4 },
    });
  });

  it('fails with a ProduceError naming a topic that does not exist', async () => {
    const { bus } = openBus();
    const missing = uniqueName('kraul-test-kafkajs-missing');
    const error = await bus
      .producer()
      .send([{ topic: missing, key: 'a.example', value: encoder.encode('x') }])
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({
      code: 'bus.produce_failed',
      context: { topic: missing, reason: 'unknown_topic' },
    });
    expect((error as Error).message).toContain(missing);
  });

  it('prints no TimeoutNegativeWarning of its own, where kafkajs alone does, and leaves other warnings alone', async () => {
    // Node reports a negative timeout once per process: each variant runs in a process of its own.
    const probe = async (via: 'bus' | 'raw'): Promise<string> => {
      const child = spawn(process.execPath, [probeScript, JSON.stringify({ brokers: testBrokers(), via })], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const [code] = await once(child, 'exit');
      expect(code, stderr).toBe(0);
      return stderr;
    };
    const [throughBus, alone] = await Promise.all([probe('bus'), probe('raw')]);
    expect(alone).toContain('TimeoutNegativeWarning');
    expect(throughBus).not.toContain('TimeoutNegativeWarning');
    expect(throughBus).toContain('KraulProbeWarning: probe finished');
  });

  it('hands TLS settings to kafkajs: a broker port sees a TLS ClientHello', async () => {
    const firstBytes: Buffer[] = [];
    const server = createServer((socket) => {
      socket.once('data', (data) => {
        firstBytes.push(data);
        socket.destroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as { port: number };
    const bus = createKafkajsBus({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'kraul-test-tls',
      tls: {},
      retries: 0,
    });
    cleanups.push(() => bus.close());
    const error = await bus
      .admin()
      .describeTopics(['any'])
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(BusError);
    // 0x16 0x03: a TLS handshake record, not a Kafka request.
    expect([...(firstBytes[0] ?? Buffer.alloc(0)).subarray(0, 2)]).toEqual([0x16, 0x03]);
  });

  it('hands SASL settings to kafkajs: a PLAINTEXT broker refuses the handshake', async () => {
    const bus = makeBus({
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'kraul', password: 'secret' },
      retries: 0,
    });
    cleanups.push(() => bus.close());
    const error = await bus
      .admin()
      .describeTopics(['any'])
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(BusError);
    expect((error as Error).message).toMatch(/SASL/);
    expect((error as Error).message).not.toContain('secret');
  });
});
