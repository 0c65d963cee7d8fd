import type { TopicDescription } from '@kraul/bus';
import { describe, expect, it } from 'vitest';
import { topicWarnings } from '../src/topic-health.ts';
import { kraulTopicSpecs } from '../src/topic-specs.ts';

const specs = kraulTopicSpecs('acme', 12, 3);

function healthy(): (TopicDescription | undefined)[] {
  return specs.map((spec) => ({
    name: spec.name,
    partitions: spec.partitions,
    replicationFactor: 3,
    underReplicatedPartitions: 0,
  }));
}

function configsOf(
  overrides: Record<string, Record<string, string>> = {},
): Map<string, Record<string, string>> {
  return new Map(specs.map((spec) => [spec.name, { ...spec.config, ...overrides[spec.role] }]));
}

describe('topicWarnings', () => {
  it('has nothing to say about topics as `topics create` makes them', () => {
    expect(topicWarnings({ specs, descriptions: healthy(), configs: configsOf(), brokers: 3 })).toEqual([]);
  });

  it('names missing topics', () => {
    const descriptions = healthy();
    descriptions[3] = undefined;
    descriptions[6] = undefined;
    expect(topicWarnings({ specs, descriptions, configs: configsOf(), brokers: 3 })).toEqual([
      'missing topics acme.pages, acme.dlq: run `kraul topics create`',
    ]);
  });

  it('warns when todo and schedule are partitioned apart', () => {
    const descriptions = healthy();
    descriptions[2] = { ...descriptions[2]!, partitions: 24 };
    expect(topicWarnings({ specs, descriptions, configs: configsOf(), brokers: 3 })).toEqual([
      expect.stringMatching(/^acme\.todo has 12 partitions but acme\.schedule has 24/),
    ]);
  });

  it('warns about single replicas on a multi-broker cluster, not on a single broker', () => {
    const descriptions = healthy().map((d) => ({ ...d!, replicationFactor: 1 }));
    const configs = configsOf(Object.fromEntries(specs.map((s) => [s.role, { 'min.insync.replicas': '1' }])));
    expect(topicWarnings({ specs, descriptions, configs, brokers: 1 })).toEqual([]);
    const warnings = topicWarnings({ specs, descriptions, configs, brokers: 3 });
    expect(warnings).toHaveLength(7);
    expect(warnings[0]).toBe(
      'acme.todo has a single replica on a cluster of 3 brokers: losing one broker loses records',
    );
  });

  it('warns about under-replicated partitions and min.insync.replicas above the replication factor', () => {
    const descriptions = healthy();
    descriptions[0] = { ...descriptions[0]!, underReplicatedPartitions: 4 };
    descriptions[1] = { ...descriptions[1]!, replicationFactor: 1 };
    expect(topicWarnings({ specs, descriptions, configs: configsOf(), brokers: 1 })).toEqual([
      'acme.todo: 4 of 12 partitions are under-replicated',
      'acme.events: min.insync.replicas 2 is above its replication factor 1: every write fails',
    ]);
  });

  it('warns about a jobs topic that is not compacted', () => {
    const configs = configsOf({ jobs: { 'cleanup.policy': 'delete' } });
    expect(topicWarnings({ specs, descriptions: healthy(), configs, brokers: 3 })).toEqual([
      expect.stringMatching(/^acme\.jobs is not compacted/),
    ]);
  });
});
