import { createMetricsRegistry, startTelemetryServer, type TelemetryServer } from '@kraul/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { frontierMetricsCounts } from '../src/commands/status.ts';

const servers: TelemetryServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A frontier's /metrics as it serves them: the same gauges, with its own counts. */
async function frontierEndpoint(
  urls: Record<string, number>,
  ended: [string, string, number][],
): Promise<string> {
  const metrics = createMetricsRegistry({ defaultLabels: { role: 'frontier' } });
  const byState = metrics.gauge('frontier_urls', 'URLs per state', ['state']);
  for (const [state, count] of Object.entries(urls)) byState.set({ state }, count);
  const byReason = metrics.gauge('frontier_urls_ended', 'ended', ['state', 'reason']);
  for (const [state, reason, count] of ended) byReason.set({ state, reason }, count);
  const server = await startTelemetryServer({ port: 0, registry: metrics, health: () => ({ ready: true }) });
  servers.push(server);
  return `${server.url}/metrics`;
}

describe('kraul status --frontier-metrics', () => {
  it("sums the URL states and reasons of every frontier's /metrics", async () => {
    const first = await frontierEndpoint({ queued: 4, inflight: 1, done: 10, failed: 2, dropped: 5 }, [
      ['failed', 'timeout', 2],
      ['dropped', 'trap', 5],
    ]);
    const second = await frontierEndpoint({ queued: 0, inflight: 0, done: 7, failed: 1, dropped: 1 }, [
      ['failed', 'timeout', 1],
      ['dropped', 'no_such_reason', 1],
    ]);
    expect(await frontierMetricsCounts([first, second])).toEqual({
      counts: { queued: 4, inflight: 1, done: 17, failed: 3, dropped: 6 },
      reasons: { failed: { timeout: 3 }, dropped: { trap: 5, other: 1 } },
    });
  });

  it('names an endpoint that does not answer with metrics', async () => {
    const first = await frontierEndpoint({}, []);
    const missing = first.replace('/metrics', '/nothing-here');
    await expect(frontierMetricsCounts([missing])).rejects.toThrow(
      /--frontier-metrics: .*nothing-here answered 404/,
    );
  });
});
