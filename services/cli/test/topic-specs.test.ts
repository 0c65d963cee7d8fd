import { createMemoryBus } from '@kraul/bus';
import { defaultReplicationFactor, kraulTopicSpecs, minInsyncReplicas } from '@kraul/runtime';
import { describe, expect, it } from 'vitest';

describe('kraulTopicSpecs', () => {
  it('lays out the seven topics of a prefix with retention, compression and min.insync per topic', () => {
    const specs = kraulTopicSpecs('acme', 24, 3);
    expect(
      specs.map(({ role, name, partitions, replicationFactor }) => [
        role,
        name,
        partitions,
        replicationFactor,
      ]),
    ).toEqual([
      ['todo', 'acme.todo', 24, 3],
      ['events', 'acme.events', 24, 3],
      ['schedule', 'acme.schedule', 24, 3],
      ['pages', 'acme.pages', 24, 3],
      ['items', 'acme.items', 24, 3],
      ['jobs', 'acme.jobs', 1, 3],
      ['dlq', 'acme.dlq', 1, 3],
    ]);
    const config = (role: string) => specs.find((spec) => spec.role === role)?.config ?? {};
    const day = 24 * 60 * 60 * 1000;
    expect(config('todo')).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * day) });
    expect(config('schedule')).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': String(7 * day) });
    expect(config('events')).toMatchObject({ 'retention.ms': String(7 * day) });
    expect(config('pages')).toMatchObject({ 'retention.ms': String(14 * day) });
    expect(config('items')).toMatchObject({ 'retention.ms': String(14 * day) });
    expect(config('dlq')).toMatchObject({ 'retention.ms': String(30 * day) });
    expect(config('jobs')).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(config('jobs')['retention.ms']).toBeUndefined();
    for (const spec of specs) {
      expect(spec.config).toMatchObject({ 'compression.type': 'producer', 'min.insync.replicas': '2' });
    }
  });

  it('asks for two in-sync replicas only from three replicas up', () => {
    expect(minInsyncReplicas(1)).toBe(1);
    expect(minInsyncReplicas(2)).toBe(1);
    expect(minInsyncReplicas(3)).toBe(2);
    expect(minInsyncReplicas(5)).toBe(2);
    expect(kraulTopicSpecs('a', 2, 1)[0]!.config!['min.insync.replicas']).toBe('1');
  });

  it('replicates min(3, brokers) times by default', () => {
    expect([1, 2, 3, 4, 9].map(defaultReplicationFactor)).toEqual([1, 2, 3, 3, 3]);
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
    expect(described.map((topic) => topic.partitions)).toEqual([4, 4, 4, 4, 4, 1, 1]);
    await bus.close();
  });
});
