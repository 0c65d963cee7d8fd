import { createMemoryBus } from '@kraul/bus';
import { kraulTopicSpecs } from '@kraul/runtime';
import { describe, expect, it } from 'vitest';

describe('kraulTopicSpecs', () => {
  it('lays out the six topics of a prefix', () => {
    expect(kraulTopicSpecs('acme', 24, 3)).toEqual([
      { role: 'todo', name: 'acme.todo', partitions: 24, replicationFactor: 3 },
      { role: 'events', name: 'acme.events', partitions: 24, replicationFactor: 3 },
      { role: 'schedule', name: 'acme.schedule', partitions: 24, replicationFactor: 3 },
      { role: 'pages', name: 'acme.pages', partitions: 24, replicationFactor: 3 },
      {
        role: 'jobs',
        name: 'acme.jobs',
        partitions: 1,
        replicationFactor: 3,
        config: { 'cleanup.policy': 'compact' },
      },
      { role: 'dlq', name: 'acme.dlq', partitions: 1, replicationFactor: 3 },
    ]);
  });

  it('gives todo and schedule the same partition count', () => {
    const specs = kraulTopicSpecs('kraul', 7);
    const count = (role: string) => specs.find((spec) => spec.role === role)?.partitions;
    expect(count('todo')).toBe(7);
    expect(count('schedule')).toBe(7);
  });

  it('refuses partition counts and replication factors below one', () => {
    expect(() => kraulTopicSpecs('kraul', 0)).toThrow(RangeError);
    expect(() => kraulTopicSpecs('kraul', 1.5)).toThrow(RangeError);
    expect(() => kraulTopicSpecs('kraul', 3, 0)).toThrow(RangeError);
    expect(() => kraulTopicSpecs('.bad', 3)).toThrow(RangeError);
  });

  it('creates the same topics on the in-memory bus', async () => {
    const bus = createMemoryBus();
    const admin = bus.admin();
    await admin.createTopics(kraulTopicSpecs('embedded', 4));
    const described = await admin.describeTopics(kraulTopicSpecs('embedded', 4).map((spec) => spec.name));
    expect(described.map((topic) => topic.partitions)).toEqual([4, 4, 4, 4, 1, 1]);
    await bus.close();
  });
});
