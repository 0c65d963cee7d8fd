import { createKafkaBus, type KafkaBus } from '@kraul/bus/kafka';
import { encodeMessage, type FrontierProgress, job, progressKey, topicNames } from '@kraul/protocol';
import { testBrokers, uniqueName } from '@kraul/testkit';
import { Admin } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRegistry, kraulTopicSpecs } from '../src/index.ts';

const silent = { info: () => {}, warn: () => {}, error: () => {} };

let bus: KafkaBus | undefined;
afterEach(async () => {
  await bus?.close();
});

async function groupsWithPrefix(prefix: string): Promise<string[]> {
  const admin = new Admin({ clientId: uniqueName('groups'), bootstrapBrokers: testBrokers() });
  try {
    return [...(await admin.listGroups()).keys()].filter((group) => group.startsWith(prefix));
  } finally {
    await admin.close();
  }
}

describe('JobRegistry on a real broker', () => {
  it('loads jobs and progress reports, follows new ones, and leaves no consumer group behind', async () => {
    const prefix = uniqueName('registry');
    const topics = topicNames(prefix);
    bus = createKafkaBus({ brokers: testBrokers(), clientId: uniqueName('registry') });
    const admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs(prefix, 1));
    await admin.close();
    const producer = bus.producer();
    const jobRecord = (id: string) => ({
      topic: topics.jobs,
      key: id,
      value: encodeMessage(job.parse({ type: 'job', id, createdAt: 1, updatedAt: 1 })),
    });
    const progress: FrontierProgress = {
      type: 'frontier.progress',
      partition: 0,
      scheduleOffset: 3,
      owner: 'test',
      at: 1,
      jobs: [{ job: 'first', queued: 1, inflight: 2, done: 3, failed: 0, dropped: 0 }],
    };
    await producer.send([
      jobRecord('first'),
      { topic: topics.jobs, key: progressKey(0), value: encodeMessage(progress) },
    ]);

    const registry = new JobRegistry({ bus, topics, groupPrefix: `${prefix}-test`, log: silent });
    await registry.start();
    expect(registry.all().map((known) => known.id)).toEqual(['first']);
    expect(registry.progress()).toEqual([progress]);

    await producer.send([jobRecord('second')]);
    await expect(registry.waitFor('second', 30_000)).resolves.toMatchObject({ id: 'second' });
    expect(await groupsWithPrefix(prefix)).toEqual([]);
    await registry.close();
    await producer.close();
    expect(await groupsWithPrefix(prefix)).toEqual([]);
  });
});
