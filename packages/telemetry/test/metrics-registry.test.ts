import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, MetricConflictError } from '../src/index.ts';

describe('createMetricsRegistry', () => {
  it('prefixes names and returns the registered metric when asked again', async () => {
    const metrics = createMetricsRegistry();
    const fetched = metrics.counter('pages_fetched_total', 'Pages fetched', ['status']);
    const again = metrics.counter('pages_fetched_total', 'Pages fetched', ['status']);
    expect(again).toBe(fetched);

    fetched.inc({ status: '200' });
    again.inc({ status: '200' });
    expect(await metrics.metrics()).toContain('kraul_pages_fetched_total{status="200"} 2');
  });

  it('dedupes gauges and histograms too, and keeps the buckets given', async () => {
    const metrics = createMetricsRegistry({ prefix: 'test_' });
    expect(metrics.gauge('buffered', 'Buffered requests')).toBe(
      metrics.gauge('buffered', 'Buffered requests'),
    );
    const latency = metrics.histogram('fetch_seconds', 'Fetch time', ['host'], [0.5, 2]);
    expect(metrics.histogram('fetch_seconds', 'Fetch time', ['host'])).toBe(latency);

    latency.observe({ host: 'a.test' }, 1);
    const text = await metrics.metrics();
    expect(text).toContain('test_fetch_seconds_bucket{le="0.5",host="a.test"} 0');
    expect(text).toContain('test_fetch_seconds_bucket{le="2",host="a.test"} 1');
  });

  it('keeps separate registries apart, so each role may own one', async () => {
    const crawler = createMetricsRegistry({ defaultLabels: { role: 'crawler' } });
    const frontier = createMetricsRegistry({ defaultLabels: { role: 'frontier' } });
    crawler.gauge('partitions', 'Assigned partitions').set(4);
    frontier.gauge('partitions', 'Assigned partitions').set(6);

    expect(await crawler.metrics()).toContain('kraul_partitions{role="crawler"} 4');
    expect(await frontier.metrics()).toContain('kraul_partitions{role="frontier"} 6');
    expect(await crawler.metrics()).not.toContain('frontier');
  });

  it('lets two wrappers share one prom-client registry, default metrics included', async () => {
    const shared = new Registry();
    const a = createMetricsRegistry({ registry: shared, collectDefault: true });
    const b = createMetricsRegistry({ registry: shared, collectDefault: true });
    expect(b.counter('events_total', 'Events')).toBe(a.counter('events_total', 'Events'));
    expect(await a.metrics()).toContain('kraul_process_cpu_user_seconds_total');
  });

  it('refuses a name registered with another type or other labels', () => {
    const metrics = createMetricsRegistry();
    metrics.counter('requests_total', 'Requests', ['host']);
    expect(() => metrics.gauge('requests_total', 'Requests', ['host'])).toThrow(MetricConflictError);
    expect(() => metrics.counter('requests_total', 'Requests', ['status'])).toThrow(
      /already registered with labels/,
    );
  });
});
