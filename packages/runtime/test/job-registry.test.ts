import { createMemoryBus, type MemoryBus } from '@kraul/bus';
import { encodeMessage, job, topicNames } from '@kraul/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRegistry, kraulTopicSpecs } from '../src/index.ts';

const PREFIX = 'jr';
const topics = topicNames(PREFIX);
const silent = { info: () => {}, warn: () => {}, error: () => {} };

const jobRecord = (id: string) => ({
  topic: topics.jobs,
  key: id,
  value: encodeMessage(
    job.parse({ type: 'job', id, seeds: ['https://example.com/'], createdAt: 1, updatedAt: 1 }),
  ),
});

let bus: MemoryBus | undefined;
afterEach(async () => {
  await bus?.close();
});

describe('JobRegistry', () => {
  it('stops following the jobs topic when it fails to load it', async () => {
    bus = createMemoryBus();
    const admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs(PREFIX, 1));
    await admin.close();
    const producer = bus.producer();
    await producer.send([jobRecord('first')]);

    const registry = new JobRegistry({ bus, topics, groupPrefix: PREFIX, log: silent });
    // No time at all: the check runs before the first record is delivered.
    await expect(registry.start(-1)).rejects.toMatchObject({ code: 'jobs.load_timeout' });

    await producer.send([jobRecord('second')]);
    // A record appended now would reach a member still in the group within a few turns.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(registry.get('second')).toBeUndefined();
  });
});
