import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testBrokers, uniqueName } from '@kraul/testkit';
import { partitionForKey } from '@kraul/url';
import { afterEach, describe, expect, it } from 'vitest';
import { BusError } from '../src/errors.ts';
import { createKafkaBus, type KafkaBus } from '../src/kafka/bus.ts';
import type { KafkaBusOptions } from '../src/kafka/options.ts';
import type { BusAdmin, ConsumerOptions, OutgoingRecord, TopicPartition } from '../src/types.ts';
import type { ContractHarness, DoomedMember } from './contract/harness.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { busContract } from './contract/suite.ts';
import { waitFor } from './contract/wait-for.ts';
import type { MemberConfig, MemberMessage, MemberQuery } from './kafka-member.ts';

const fastSession = { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, maxWaitMs: 500 };
const memberScript = fileURLToPath(new URL('./kafka-member.ts', import.meta.url));
const encoder = new TextEncoder();

function makeBus(options: Partial<KafkaBusOptions> = {}): KafkaBus {
  return createKafkaBus({ brokers: testBrokers(), clientId: uniqueName('kraul-test'), ...options });
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** A group member in a child process (test/kafka-member.ts) that SIGKILL ends without a word. */
async function startMemberProcess(
  options: ConsumerOptions,
  groupProtocol?: 'consumer' | 'classic',
): Promise<DoomedMember> {
  const config: MemberConfig = {
    brokers: testBrokers(),
    options,
    ...(groupProtocol ? { groupProtocol } : {}),
  };
  const child: ChildProcess = fork(memberScript, [JSON.stringify(config)], {
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: MemberMessage) => {
      if (message.type === 'ready') resolve();
      else
        reject(
          new Error(
            `the member process could not join: ${message.type === 'failed' ? message.message : message.type}`,
          ),
        );
    });
    void exited.then(([code]) => reject(new Error(`the member process exited with ${code} before joining`)));
  });
  let nextId = 0;
  const state = () =>
    new Promise<Extract<MemberMessage, { type: 'state' }>>((resolve) => {
      const id = ++nextId;
      const onMessage = (message: MemberMessage): void => {
        if (message.type !== 'state' || message.id !== id) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type: 'query', id } satisfies MemberQuery);
    });
  return {
    received: async () => new Map((await state()).received),
    assigned: async () => (await state()).assigned,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const kafkaHarness = (): ContractHarness => ({
  makeBus: async () => makeBus(),
  uniqueTopic: (label) => uniqueName(`kraul-test-${label}`),
  startDoomedMember: (options) => startMemberProcess(options),
  fastSession,
});

busContract('kafka', kafkaHarness);

// The fallback for brokers older than 4.0: the classic protocol with the cooperative-sticky assignor.
busContract('kafka, classic protocol', () => ({
  makeBus: async () => makeBus({ groupProtocol: 'classic' }),
  uniqueTopic: (label) => uniqueName(`kraul-test-${label}`),
  startDoomedMember: (options) => startMemberProcess(options, 'classic'),
  fastSession,
}));

describe('kafka bus', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  function openBus(options: Partial<KafkaBusOptions> = {}): { bus: KafkaBus; admin: BusAdmin } {
    const bus = makeBus(options);
    cleanups.push(() => bus.close());
    return { bus, admin: bus.admin() };
  }

  async function createTopic(admin: BusAdmin, label: string, partitions: number): Promise<string> {
    const topic = uniqueName(`kraul-test-${label}`);
    await admin.createTopics([{ name: topic, partitions }]);
    return topic;
  }

  function group(label: string, topic: string, extra: Partial<ConsumerOptions> = {}): ConsumerOptions {
    return { groupId: uniqueName(`kraul-test-group-${label}`), topics: [topic], ...fastSession, ...extra };
  }

  const owns = (members: RecordingMember[], count: number): boolean =>
    new Set(
      members.flatMap((member) => member.consumer.assignment().map((tp) => `${tp.topic}:${tp.partition}`)),
    ).size === count;

  it("places 700 host keys (IDN and IP hosts too) where Java's partitioner puts them", async () => {
    const { bus, admin } = openBus();
    const partitions = 24;
    const topic = await createTopic(admin, 'hosts', partitions);
    const keys = range(700).map((index) => {
      switch (index % 7) {
        case 0:
          return `www.site-${index}.com`;
        case 1:
          return `bücher-${index}.de`;
        case 2:
          return `xn--mnchen-${index}-3ya.de`;
        case 3:
          return `例え-${index}.jp`;
        case 4:
          return `10.${index % 256}.${(index * 7) % 256}.${(index * 13) % 256}`;
        case 5:
          return `[2001:db8::${index.toString(16)}]`;
        default:
          return `shop-${index}.example.co.uk:8443`;
      }
    });
    const metadata = await bus
      .producer()
      .send(keys.map((key) => ({ topic, key, value: encoder.encode(key) })));
    expect(metadata.map((meta) => meta.partition)).toEqual(
      keys.map((key) => partitionForKey(key, partitions)),
    );

    const member = await RecordingMember.start(bus, group('hosts', topic));
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.records.length >= keys.length, 'all 700 records read back');
    expect(member.records).toHaveLength(keys.length);
    for (const record of member.records)
      expect(record.partition).toBe(partitionForKey(record.key!, partitions));
    const written = new Set(metadata.map((meta) => `${meta.partition}@${meta.offset}`));
    expect(new Set(member.records.map((record) => `${record.partition}@${record.offset}`))).toEqual(written);
  });

  it('hands partitions over at once when a member closes, not after its session timeout', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'handover', 12);
    // A long session: a handover that waited for it would take 30 s.
    const options = group('handover', topic, { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 500 });
    const stayer = await RecordingMember.start(bus, options);
    cleanups.push(() => stayer.consumer.close());
    const leaver = await RecordingMember.start(bus, options);
    await waitFor(
      () =>
        stayer.consumer.assignment().length > 0 &&
        leaver.consumer.assignment().length > 0 &&
        owns([stayer, leaver], 12),
      'both members to share the 12 partitions',
    );

    const closedAt = performance.now();
    await leaver.consumer.close();
    await waitFor(
      () => stayer.consumer.assignment().length === 12,
      'the remaining member to own all 12 partitions',
    );
    const elapsedMs = Math.round(performance.now() - closedAt);
    console.info(
      `[kafka bus] 12 partitions handed over ${elapsedMs} ms after close() (heartbeatIntervalMs 500)`,
    );
    expect(elapsedMs).toBeLessThan(15_000);
    expect(leaver.revoked.flat()).toHaveLength(leaver.assigned.flat().length);
  });

  it('heartbeats a steady group at its interval, not once per answer', async () => {
    // Every request the Kafka client sends passes this channel; 68 is ConsumerGroupHeartbeat.
    const requests = tracingChannel<unknown, { apiKey?: number }>('plt:kafka:connections:api');
    let heartbeats = 0;
    const onStart = (context: { apiKey?: number }) => {
      if (context.apiKey === 68) heartbeats += 1;
    };
    const handlers = { start: onStart, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    requests.subscribe(handlers);
    cleanups.push(async () => requests.unsubscribe(handlers));
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'heartbeats', 4);
    const member = await RecordingMember.start(bus, group('heartbeats', topic));
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.consumer.assignment().length === 4, 'the member to own the 4 partitions');

    const before = heartbeats;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const steady = heartbeats - before;
    console.info(`[kafka bus] ${steady} heartbeats in 3 s of a steady group (interval 500 ms)`);
    // About six; the coordinator repeats the assignment in every answer to a full heartbeat,
    // and acknowledging that at once heartbeated in a loop (a thousand a second).
    expect(steady).toBeGreaterThan(0);
    expect(steady).toBeLessThan(30);
  });

  it('moves the partitions of a SIGKILLed member once its session times out', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'sigkill', 12);
    const options = group('sigkill', topic);
    const survivor = await RecordingMember.start(bus, options);
    cleanups.push(() => survivor.consumer.close());
    const doomed = await startMemberProcess(options);
    cleanups.push(() => doomed.kill());
    await waitFor(async () => {
      const doomedOwns = (await doomed.assigned()).length;
      return doomedOwns > 0 && doomedOwns + survivor.consumer.assignment().length === 12;
    }, 'the child process to own some of the 12 partitions');

    const killedAt = performance.now();
    await doomed.kill();
    await waitFor(
      () => survivor.consumer.assignment().length === 12,
      'the survivor to own all 12 partitions',
    );
    const elapsedMs = Math.round(performance.now() - killedAt);
    console.info(
      `[kafka bus] 12 partitions moved ${elapsedMs} ms after SIGKILL (sessionTimeoutMs ${fastSession.sessionTimeoutMs},` +
        ` heartbeatIntervalMs ${fastSession.heartbeatIntervalMs}, maxWaitMs ${fastSession.maxWaitMs})`,
    );
    expect(elapsedMs).toBeGreaterThan(0);
  });

  it('revokes before the rebalance, so what onRevoked commits is where the next owner starts', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'revoke', 4);
    const producer = bus.producer();
    await producer.send(
      range(40).map((index) => ({
        topic,
        key: null,
        partition: index % 4,
        value: encoder.encode(`${index}`),
      })),
    );
    const options = group('revoke', topic);
    const handled = new Map<number, number>();
    let batchAfterRevoke = 0;
    const timesOf = (lists: TopicPartition[][], partition: number) =>
      lists.flat().filter((tp) => tp.partition === partition).length;
    const first = await RecordingMember.start(bus, options, {
      onBatch: (batch, self) => {
        // Revoked as often as assigned: the partition is not this member's now.
        if (timesOf(self.revoked, batch.partition) >= timesOf(self.assigned, batch.partition))
          batchAfterRevoke += 1;
        handled.set(batch.partition, batch.records.at(-1)!.offset + 1);
      },
      onRevoked: async (partitions, self) => {
        const offsets = partitions.flatMap((tp) => {
          const offset = handled.get(tp.partition);
          return offset === undefined ? [] : [{ ...tp, offset }];
        });
        await self.consumer.commit(offsets);
      },
    });
    cleanups.push(() => first.consumer.close());
    await waitFor(() => first.records.length >= 40, 'the 40 records at the first member');

    const second = await RecordingMember.start(bus, options);
    cleanups.push(() => second.consumer.close());
    await waitFor(
      () => second.consumer.assignment().length > 0 && owns([first, second], 4),
      'the two members to share the 4 partitions',
    );
    await producer.send(
      range(4).map((partition) => ({ topic, key: null, partition, value: encoder.encode('after') })),
    );
    const secondOwns = second.consumer.assignment();
    await waitFor(
      () => secondOwns.every((tp) => second.offsets(topic, tp.partition).length > 0),
      'the new record of each partition at the second member',
    );
    // Everything before the rebalance was committed in onRevoked: the new owner starts after it.
    for (const tp of secondOwns) expect(second.offsets(topic, tp.partition)).toEqual([10]);
    // Incremental: the first member gave up exactly what the second one got, nothing more.
    const keyOf = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`;
    expect(first.revoked.flat().map(keyOf).sort()).toEqual(secondOwns.map(keyOf).sort());
    expect(batchAfterRevoke).toBe(0);
  });

  it('keeps its group session through an onRevoked that outlasts the session timeout', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'slow-revoke', 4);
    const producer = bus.producer();
    await producer.send(
      range(8).map((index) => ({
        topic,
        key: null,
        partition: index % 4,
        value: encoder.encode(`${index}`),
      })),
    );
    const options = group('slow-revoke', topic);
    const handled = new Map<number, number>();
    const commitErrors: unknown[] = [];
    let slowRevocations = 0;
    const first = await RecordingMember.start(bus, options, {
      onBatch: (batch) => {
        handled.set(batch.partition, batch.records.at(-1)!.offset + 1);
      },
      onRevoked: async (partitions, self) => {
        if (slowRevocations === 0) {
          slowRevocations += 1;
          // Longer than the session: only heartbeats sent meanwhile keep this member in the group.
          await new Promise((resolve) => setTimeout(resolve, fastSession.sessionTimeoutMs * 1.5));
        }
        const offsets = partitions.flatMap((tp) => {
          const offset = handled.get(tp.partition);
          return offset === undefined ? [] : [{ ...tp, offset }];
        });
        await self.consumer.commit(offsets).catch((error: unknown) => commitErrors.push(error));
      },
    });
    cleanups.push(() => first.consumer.close());
    await waitFor(() => first.records.length >= 8, 'the 8 records at the first member');

    const second = await RecordingMember.start(bus, options);
    cleanups.push(() => second.consumer.close());
    await waitFor(
      () =>
        first.consumer.assignment().length > 0 &&
        second.consumer.assignment().length > 0 &&
        owns([first, second], 4),
      'the two members to share the 4 partitions',
    );
    expect(slowRevocations).toBe(1);
    expect(commitErrors).toEqual([]);
    await producer.send(
      range(4).map((partition) => ({ topic, key: null, partition, value: encoder.encode('after') })),
    );
    const secondOwns = second.consumer.assignment();
    await waitFor(
      () => secondOwns.every((tp) => second.offsets(topic, tp.partition).length > 0),
      'the new record of each partition at the second member',
    );
    for (const tp of secondOwns) expect(second.offsets(topic, tp.partition)).toEqual([2]);
  });

  it('reports a handler that throws and goes on with the next batch', async () => {
    const errors: BusError[] = [];
    const { bus, admin } = openBus({ onHandlerError: (error) => errors.push(error) });
    const topic = await createTopic(admin, 'handler-error', 1);
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

  it('deletes topics, so one of the same name can be created again', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'delete', 3);
    await bus.producer().send([{ topic, key: 'a.example', value: encoder.encode('old') }]);
    await admin.deleteTopics([topic]);
    await expect(admin.describeTopics([topic])).rejects.toMatchObject({ code: 'bus.unknown_topic' });
    await admin.deleteTopics([topic]);

    await admin.createTopics([{ name: topic, partitions: 2 }]);
    expect(await admin.describeTopics([topic])).toEqual([
      { name: topic, partitions: 2, replicationFactor: 1, underReplicatedPartitions: 0 },
    ]);
    const lag = await admin.lag(uniqueName('kraul-test-nobody'), topic);
    expect(lag.map((partition) => partition.logEnd)).toEqual([0, 0]);
  });

  it('reads the broker count and topic configs as the brokers apply them', async () => {
    const { admin } = openBus();
    expect(await admin.brokerCount()).toBeGreaterThanOrEqual(1);
    const topic = uniqueName('configs');
    await admin.createTopics([{ name: topic, partitions: 1, config: { 'retention.ms': '3600000' } }]);
    const configs = (await admin.topicConfigs([topic])).get(topic);
    // The one set at creation, and the broker's defaults for the rest.
    expect(configs).toMatchObject({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    await admin.deleteTopics([topic]);
  });

  it('delivers a value that is not JSON as the bytes written: decoding is not the bus’s job', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'bytes', 1);
    const notJson = Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x00, 0x80, 0x7d]);
    await bus.producer().send([{ topic, key: 'broken.example', value: notJson }]);
    const member = await RecordingMember.start(bus, group('bytes', topic));
    cleanups.push(() => member.consumer.close());
    await waitFor(() => member.records.length >= 1, 'the record');
    expect(Array.from(member.records[0]!.value)).toEqual(Array.from(notJson));
  });

  it('fails fast with a ProduceError naming a topic that does not exist', async () => {
    const { bus } = openBus();
    const missing = uniqueName('kraul-test-missing');
    const startedAt = performance.now();
    const error = await bus
      .producer()
      .send([{ topic: missing, key: 'a.example', value: encoder.encode('x') }])
      .catch((failure: unknown) => failure);
    const elapsedMs = performance.now() - startedAt;
    expect(error).toMatchObject({
      code: 'bus.produce_failed',
      context: { topic: missing, reason: 'unknown_topic' },
    });
    expect((error as Error).message).toContain(missing);
    // unknownTopicTimeoutMs (2 s) plus one metadata round trip, with room for a slow machine.
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('writes 50,000 keyed records in batches of 1,000 with acks=all (prints the rate)', async () => {
    const { bus, admin } = openBus();
    const topic = await createTopic(admin, 'throughput', 12);
    const producer = bus.producer();
    const startedAt = performance.now();
    let acknowledged = 0;
    const offsets = new Set<string>();
    for (const batch of range(50)) {
      const records = range(1_000).map(
        (index): OutgoingRecord => ({
          topic,
          key: `host-${(batch * 1_000 + index) % 5_000}.example`,
          value: encoder.encode(`{"url":"https://host-${index}.example/page/${batch}"}`),
        }),
      );
      for (const meta of await producer.send(records)) offsets.add(`${meta.partition}@${meta.offset}`);
      acknowledged += records.length;
    }
    const seconds = (performance.now() - startedAt) / 1_000;
    console.info(
      `[kafka bus] produced 50,000 keyed records in batches of 1,000 in ${seconds.toFixed(2)} s:` +
        ` ${Math.round(acknowledged / seconds)} records/s (acks=all, idempotent)`,
    );
    expect(offsets.size).toBe(50_000);
    const lag = await admin.lag(uniqueName('kraul-test-nobody'), topic);
    expect(lag.reduce((sum, partition) => sum + partition.logEnd, 0)).toBe(50_000);
  });

  it('puts sends that queue behind a produce request into the next one, each with its own offsets and verdict', async () => {
    const requests = tracingChannel<unknown, { apiKey?: number }>('plt:kafka:connections:api');
    let produces = 0;
    const onStart = (context: { apiKey?: number }) => {
      if (context.apiKey === 0) produces += 1;
    };
    const handlers = { start: onStart, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    requests.subscribe(handlers);
    cleanups.push(async () => requests.unsubscribe(handlers));
    const { bus, admin } = openBus();
    // Record batches up to 100 kB: a send of 128 KiB is refused.
    const topic = uniqueName('kraul-test-coalesce');
    await admin.createTopics([{ name: topic, partitions: 3, config: { 'max.message.bytes': '100000' } }]);
    const producer = bus.producer();
    await producer.send([{ topic, key: 'warm-up', value: encoder.encode('{}') }]);

    produces = 0;
    // 300 sends at once, as 300 crawl tasks finishing together make them; one is too large
    // for the topic (random bytes do not compress) and must fail alone.
    const tooLarge = 150;
    const settled = await Promise.allSettled(
      range(300).map((index) =>
        producer.send([
          {
            topic,
            key: `host-${index % 7}`,
            value: index === tooLarge ? randomBytes(128 * 1024) : encoder.encode(`{"n":${index}}`),
          },
        ]),
      ),
    );
    expect(settled[tooLarge]!.status).toBe('rejected');
    const written = settled.flatMap((result, index) =>
      result.status === 'fulfilled' ? [{ index, meta: result.value[0]! }] : [],
    );
    expect(written).toHaveLength(299);
    // Each send's offset is where its record is: read back, every value at its offset.
    const byPlace = new Map(written.map(({ index, meta }) => [`${meta.partition}@${meta.offset}`, index]));
    expect(byPlace.size).toBe(299);
    const seen = new Map<string, number>();
    const reader = bus.reader({ topic });
    await reader.start((batch) => {
      for (const record of batch.records) {
        const value = JSON.parse(Buffer.from(record.value).toString('utf8')) as { n?: number };
        if (value.n !== undefined) seen.set(`${batch.partition}@${record.offset}`, value.n);
      }
    });
    cleanups.push(() => reader.close());
    await waitFor(() => seen.size === 299, 'the 299 records to be read back');
    expect(seen).toEqual(byPlace);
    console.info(`[kafka bus] 300 concurrent sends went in ${produces} produce requests`);
    // One request per send before (the idempotent client has one in flight per connection).
    expect(produces).toBeLessThan(150);
  });

  it('hands TLS settings to the connection: a broker port sees a TLS ClientHello', async () => {
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
    const bus = createKafkaBus({
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
    expect((error as Error).message).toMatch(/TLS/);
    // 0x16 0x03: a TLS handshake record, not a Kafka request.
    expect([...(firstBytes[0] ?? Buffer.alloc(0)).subarray(0, 2)]).toEqual([0x16, 0x03]);
  });

  it('hands SASL settings to the connection: a PLAINTEXT broker refuses the handshake', async () => {
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
  });
});
