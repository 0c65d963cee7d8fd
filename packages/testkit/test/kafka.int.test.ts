import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertTestBrokerAnswers,
  TestBrokerUnreachableError,
  testBrokers,
  uniqueName,
} from '../src/index.ts';

// These tests check the test broker's configuration itself (what scripts/kafka.sh
// writes), so they talk to it with the Kafka client directly.
describe('the test Kafka broker', () => {
  let admin: Admin;

  beforeAll(() => {
    admin = new Admin({ clientId: uniqueName('testkit-admin'), bootstrapBrokers: testBrokers() });
  });

  afterAll(async () => {
    await admin.close();
  });

  it('answers at the test brokers address and advertises that same address', async () => {
    await assertTestBrokerAnswers();
    const metadata = await admin.metadata({ topics: [] });
    const advertised = [...metadata.brokers.values()].map((broker) => `${broker.host}:${broker.port}`);
    expect(advertised).toEqual(testBrokers());
  });

  it('does not create a topic when a producer asks for one that does not exist', async () => {
    const topic = uniqueName('testkit-no-autocreate');
    // The client asks the broker to auto-create the topic; only the broker's
    // auto.create.topics.enable=false stands between this send and a new topic.
    const producer = new Producer({
      clientId: uniqueName('testkit-producer'),
      bootstrapBrokers: testBrokers(),
      serializers: stringSerializers,
      autocreateTopics: true,
      retries: 2,
      retryDelay: 100,
    });
    try {
      await expect(producer.send({ messages: [{ topic, key: 'k', value: 'v' }] })).rejects.toThrow(
        `Unknown topic ${topic}`,
      );
    } finally {
      await producer.close();
    }
    expect(await admin.listTopics()).not.toContain(topic);
  });

  describe('consumer group sessions', () => {
    const topic = uniqueName('testkit-sessions');

    beforeAll(async () => {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    });

    afterAll(async () => {
      await admin.deleteTopics({ topics: [topic] });
    });

    it('lets a member join with a 1,000 ms session timeout', async () => {
      const groupId = uniqueName('testkit-group');
      const consumer = new Consumer({
        clientId: uniqueName('testkit-consumer'),
        groupId,
        bootstrapBrokers: testBrokers(),
      });
      try {
        const joined = new Promise<{ memberId: string }>((resolve) => {
          consumer.once('consumer:group:join', resolve);
        });
        const stream = await consumer.consume({
          topics: [topic],
          sessionTimeout: 1_000,
          heartbeatInterval: 250,
          maxWaitTime: 250,
        });
        const { memberId } = await joined;
        expect(consumer.assignments).toEqual([{ topic, partitions: [0] }]);

        const groups = await admin.describeGroups({ groups: [groupId] });
        const group = groups.get(groupId);
        expect(group?.state).toBe('Stable');
        expect([...(group?.members.keys() ?? [])]).toEqual([memberId]);
        await stream.close();
      } finally {
        await consumer.close(true);
      }
    });

    it('refuses a session shorter than the configured 1,000 ms minimum', async () => {
      // The other side of the same setting: proves the broker enforces a minimum and that
      // 1,000 ms is exactly it, rather than the check being absent.
      const consumer = new Consumer({
        clientId: uniqueName('testkit-consumer'),
        groupId: uniqueName('testkit-group'),
        bootstrapBrokers: testBrokers(),
        retries: 0,
      });
      try {
        await expect(
          consumer.consume({ topics: [topic], sessionTimeout: 999, heartbeatInterval: 250 }),
        ).rejects.toMatchObject({ errors: [expect.objectContaining({ apiId: 'INVALID_SESSION_TIMEOUT' })] });
      } finally {
        await consumer.close(true);
      }
    });
  });

  it('gives every call of uniqueName a distinct name Kafka accepts as a topic', () => {
    const names = Array.from({ length: 100 }, () => uniqueName('crawl job/#1'));
    expect(new Set(names).size).toBe(100);
    for (const name of names) expect(name).toMatch(/^crawl-job--1-\d+-\d+-[0-9a-f]{6}$/);
  });

  it('reports an unreachable broker with one error that says how to start one', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const check = assertTestBrokerAnswers({ brokers: ['127.0.0.1:1'], attempts: 2, pauseMs: 10 });
    await expect(check).rejects.toBeInstanceOf(TestBrokerUnreachableError);
    await expect(check).rejects.toThrow(
      'no Kafka broker answers at 127.0.0.1:1: start one with `npm run kafka start` (or run `npm test`, which starts it)',
    );
  });
});
