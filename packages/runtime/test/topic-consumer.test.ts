import { type BusError, createMemoryBus, type MemoryBus, type Producer } from '@kraul/bus';
import { encodeMessage, KraulError, type Message, type TopicNames, topicNames } from '@kraul/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConsumerLog,
  type Delivery,
  kraulTopicSpecs,
  PartitionSetupError,
  TopicConsumer,
} from '../src/index.ts';

const PREFIX = 'tc';
const GROUP = 'tc-strategy';

const seeded = (url: string): Uint8Array =>
  encodeMessage({ type: 'crawl.seeded', job: 'j', urls: [{ url }], source: 'cli' });

interface LogLine {
  level: 'info' | 'warn' | 'error';
  object: object;
  message: string | undefined;
}

let bus: MemoryBus;
let producer: Producer;
let topics: TopicNames;
let handlerErrors: BusError[];
let lines: LogLine[];
let log: ConsumerLog;
let consumers: TopicConsumer[];

beforeEach(async () => {
  handlerErrors = [];
  bus = createMemoryBus({ onHandlerError: (error) => handlerErrors.push(error) });
  topics = topicNames(PREFIX);
  const admin = bus.admin();
  await admin.createTopics(kraulTopicSpecs(PREFIX, 2));
  await admin.close();
  producer = bus.producer();
  lines = [];
  log = {
    info: (object, message) => lines.push({ level: 'info', object, message }),
    warn: (object, message) => lines.push({ level: 'warn', object, message }),
    error: (object, message) => lines.push({ level: 'error', object, message }),
  };
  consumers = [];
});

afterEach(async () => {
  for (const consumer of consumers) await consumer.close();
  await bus.close();
});

function consumer(
  received: Delivery[],
  overrides: Partial<ConstructorParameters<typeof TopicConsumer<Message>>[0]> = {},
): TopicConsumer {
  const created = new TopicConsumer({
    bus,
    producer,
    topics,
    role: 'events',
    groupId: GROUP,
    log,
    onMessages: (deliveries, self) => {
      for (const delivery of deliveries) {
        received.push(delivery);
        self.complete(delivery);
      }
    },
    ...overrides,
  });
  consumers.push(created);
  return created;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function committed(partition: number): Promise<number> {
  const admin = bus.admin();
  try {
    const lag = await admin.lag(GROUP, topics.events);
    return lag.find((entry) => entry.partition === partition)!.committed;
  } finally {
    await admin.close();
  }
}

describe('TopicConsumer', () => {
  it('gives partitions up even when the role fails to, so they can come back and commit', async () => {
    const received: Delivery[] = [];
    const first = consumer(received, {
      onRevoked: () => {
        throw new Error('role failed to stop');
      },
    });
    await first.start();
    await producer.send([
      { topic: topics.events, key: null, partition: 0, value: seeded('https://a.example/') },
      { topic: topics.events, key: null, partition: 1, value: seeded('https://b.example/') },
    ]);
    await until(() => received.length === 2);

    // A second member makes the group rebalance: the first one revokes partition 1 (its role
    // throws before anything is committed) and keeps partition 0.
    const second = consumer([]);
    await second.start();
    await until(() => first.assignment().length === 1);
    expect(first.assignment()).toEqual([{ topic: topics.events, partition: 0 }]);
    expect(handlerErrors.map((error) => error.context['handler'])).toEqual(['onRevoked']);

    // When the second member leaves, partition 1 comes back, from offset 0, and commits.
    await second.close();
    await until(() => received.length === 3);
    expect(received[2]!.record).toMatchObject({ partition: 1, offset: 0 });
    await first.commit();
    expect(await committed(1)).toBe(1);
  });

  it("takes the in-memory bus's decoded message as it is, and decodes (and dead-letters) the rest", async () => {
    const received: Delivery[] = [];
    await consumer(received).start();
    const message: Message = {
      type: 'crawl.seeded',
      job: 'j',
      urls: [{ url: 'https://a.example/' }],
      source: 'cli',
    };
    const wrongTopic: Message = { type: 'schedule.batch', job: 'j', decisions: [] };
    await producer.send([
      // Passed decoded: the bytes are not even read (an encoding of something else here).
      {
        topic: topics.events,
        key: null,
        partition: 0,
        value: seeded('https://other.example/'),
        decoded: message,
      },
      // A decoded value that does not belong on the topic is ignored: the bytes decide.
      {
        topic: topics.events,
        key: null,
        partition: 0,
        value: seeded('https://b.example/'),
        decoded: wrongTopic,
      },
      {
        topic: topics.events,
        key: null,
        partition: 0,
        value: new TextEncoder().encode('{}'),
        decoded: 'text',
      },
    ]);
    await until(() => received.length === 2);
    expect(received[0]!.message).toBe(message);
    expect(received[1]!.message).toMatchObject({
      type: 'crawl.seeded',
      urls: [{ url: 'https://b.example/' }],
    });
    await until(() => lines.some((line) => line.message === 'invalid record sent to the dead-letter topic'));
  });

  it('moves on past an invalid record the dead-letter topic refuses', async () => {
    const closedProducer = bus.producer();
    await closedProducer.close();
    const received: Delivery[] = [];
    const member = consumer(received, { producer: closedProducer });
    await member.start();
    await producer.send([
      { topic: topics.events, key: null, partition: 1, value: new TextEncoder().encode('not json') },
      { topic: topics.events, key: null, partition: 1, value: seeded('https://a.example/') },
    ]);
    await until(() => received.length === 1);
    expect(received[0]!.record.offset).toBe(1);

    await member.commit();
    expect(await committed(1)).toBe(2);
    expect(handlerErrors).toEqual([]);
    expect(lines.find((line) => line.level === 'error')?.object).toMatchObject({
      topic: topics.events,
      partition: 1,
      offset: 0,
    });
  });

  it('retries a failed commit until it goes through, without new work arriving', async () => {
    // The bus refuses the first two commits of this member, as a broker does during a rebalance.
    let refusals = 2;
    const flaky = new Proxy(bus, {
      get(target, property, receiver) {
        if (property !== 'consumer') return Reflect.get(target, property, receiver);
        return (options: Parameters<MemoryBus['consumer']>[0]) => {
          const real = target.consumer(options);
          const commit = real.commit.bind(real);
          real.commit = async (offsets) => {
            if (refusals > 0) {
              refusals -= 1;
              throw new Error('commit refused');
            }
            await commit(offsets);
          };
          return real;
        };
      },
    });
    const received: Delivery[] = [];
    await consumer(received, { bus: flaky, commitIntervalMs: 20 }).start();
    await producer.send([
      { topic: topics.events, key: null, partition: 0, value: seeded('https://a.example/') },
    ]);
    await until(() => received.length === 1);
    const deadline = Date.now() + 10_000;
    while ((await committed(0)) !== 1) {
      if (Date.now() > deadline) throw new Error('the offset was never committed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(refusals).toBe(0);
    expect(lines.filter((line) => line.message === 'commit failed; retrying')).toHaveLength(1);
  });

  it('fails with a typed error when the role cannot set up its partitions, and takes none of their records', async () => {
    await producer.send([
      { topic: topics.events, key: null, partition: 0, value: seeded('https://a.example/') },
      { topic: topics.events, key: null, partition: 1, value: seeded('https://b.example/') },
    ]);
    const received: Delivery[] = [];
    const failures: PartitionSetupError[] = [];
    const broken = consumer(received, {
      onAssigned: () => {
        throw new KraulError(
          'store.open_failed',
          'cannot open /data/frontier-0.sqlite: file is not a database',
          {
            partition: 0,
            path: '/data/frontier-0.sqlite',
          },
        );
      },
      onFailure: (error) => failures.push(error),
    });
    await broken.start();
    await until(() => failures.length === 1);
    const [failure] = failures;
    expect(failure).toBeInstanceOf(PartitionSetupError);
    expect(failure!.message).toBe(
      `cannot open /data/frontier-0.sqlite: file is not a database (group ${GROUP} could not take ${topics.events}:0, ${topics.events}:1)`,
    );
    expect(failure!.context).toMatchObject({ groupId: GROUP, path: '/data/frontier-0.sqlite' });
    expect(broken.failure).toBe(failure);
    // Reported by the consumer itself, not as an anonymous handler warning of the bus.
    expect(handlerErrors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
    await broken.commit();
    expect(await committed(0)).toBe(-1);

    // Once the failed member leaves, the next owner gets every record from the start.
    await broken.close();
    const next: Delivery[] = [];
    await consumer(next).start();
    await until(() => next.length === 2);
  });
});
