import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, metricSamples } from '../src/index.ts';

describe('metricSamples', () => {
  it('reads back the samples of one metric from what a registry serves', async () => {
    const metrics = createMetricsRegistry({ defaultLabels: { role: 'frontier' } });
    const ended = metrics.gauge('frontier_urls_ended', 'help', ['state', 'reason']);
    ended.set({ state: 'failed', reason: 'timeout' }, 3);
    ended.set({ state: 'dropped', reason: 'out_of_scope' }, 200);
    metrics.gauge('frontier_urls_ended_other', 'not this one').set(7);
    const text = await metrics.metrics();
    expect(metricSamples(text, 'kraul_frontier_urls_ended')).toEqual([
      { labels: { state: 'failed', reason: 'timeout', role: 'frontier' }, value: 3 },
      { labels: { state: 'dropped', reason: 'out_of_scope', role: 'frontier' }, value: 200 },
    ]);
  });

  it('skips comments, other metrics and values that are no numbers, and unescapes labels', () => {
    const text = [
      '# HELP m help',
      '# TYPE m gauge',
      'm{a="x\\"y"} 1',
      'm 2 1700000000000',
      'm{a="z"} NaNish',
      'mm{a="x"} 4',
    ].join('\n');
    expect(metricSamples(text, 'm')).toEqual([
      { labels: { a: 'x"y' }, value: 1 },
      { labels: {}, value: 2 },
    ]);
  });
});
