import { createMemoryBus, type MemoryBus } from '@kraul/bus';
import { encodeMessage, job, topicNames } from '@kraul/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { JobLookup, JobRegistry, kraulTopicSpecs } from '../src/index.ts';

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
let registry: JobRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
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

/** A started registry on a memory bus, whose `waitFor` calls are counted. */
async function countingRegistry() {
  bus = createMemoryBus();
  const admin = bus.admin();
  await admin.createTopics(kraulTopicSpecs(PREFIX, 1));
  await admin.close();
  const jobs = new JobRegistry({ bus, topics, groupPrefix: PREFIX, log: silent });
  registry = jobs;
  await jobs.start();
  const counted = {
    waits: 0,
    get: (id: string) => jobs.get(id),
    waitFor: (id: string, timeoutMs?: number) => {
      counted.waits += 1;
      return jobs.waitFor(id, timeoutMs);
    },
    onChange: (listener: Parameters<JobRegistry['onChange']>[0]) => jobs.onChange(listener),
  };
  return { counted, producer: bus.producer() };
}

describe('JobLookup', () => {
  it('waits for a job published after its first record', async () => {
    const { counted, producer } = await countingRegistry();
    const lookup = new JobLookup(counted, { timeoutMs: 10_000, onUnknown: () => {} });
    const waiting = lookup.wait('late');
    await producer.send([jobRecord('late')]);
    await expect(waiting).resolves.toMatchObject({ id: 'late' });
    // Known now: no further wait.
    await expect(lookup.wait('late')).resolves.toMatchObject({ id: 'late' });
    expect(counted.waits).toBe(1);
  });

  it('gives up on a job once, reports it once, and waits again once it appears', async () => {
    const { counted, producer } = await countingRegistry();
    const unknown: string[] = [];
    const lookup = new JobLookup(counted, { timeoutMs: 50, onUnknown: (id) => unknown.push(id) });
    // Three records of a job that never comes, two of them at once: one report, and once
    // given up on, no more waits.
    const [first, second] = await Promise.all([lookup.wait('ghost'), lookup.wait('ghost')]);
    expect([first, second]).toEqual([undefined, undefined]);
    expect(await lookup.wait('ghost')).toBeUndefined();
    expect(unknown).toEqual(['ghost']);
    expect(counted.waits).toBe(2);

    await producer.send([jobRecord('ghost')]);
    await expect.poll(() => counted.get('ghost')).toBeDefined();
    await expect(lookup.wait('ghost')).resolves.toMatchObject({ id: 'ghost' });
  });
});
