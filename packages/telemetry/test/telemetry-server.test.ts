import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createMetricsRegistry,
  type HealthReport,
  startTelemetryServer,
  type TelemetryServer,
} from '../src/index.ts';

/** How long close() may take in the tests below (the unit project's test timeout is 20 s). */
const CLOSE_BOUND_MS = 15_000;

describe('startTelemetryServer', () => {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  let server: TelemetryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await agent.close();
  });

  async function get(path: string) {
    const res = await request(`${server!.url}${path}`, { dispatcher: agent });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: await res.body.text() };
  }

  it('serves Prometheus text on /metrics', async () => {
    const metrics = createMetricsRegistry();
    metrics.counter('pages_total', 'Pages').inc(7);
    server = await startTelemetryServer({ port: 0, registry: metrics, health: () => ({ ready: true }) });

    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE kraul_pages_total counter');
    expect(res.body).toContain('kraul_pages_total 7');
  });

  it('answers liveness on /healthz and readiness from the health callback on /readyz', async () => {
    let report: HealthReport = { ready: false, checks: { kafka: { ok: false, detail: 'connecting' } } };
    server = await startTelemetryServer({
      port: 0,
      registry: createMetricsRegistry(),
      health: async () => report,
    });

    const live = await get('/healthz');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok' });

    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      status: 'not_ready',
      checks: { kafka: { ok: false, detail: 'connecting' } },
    });

    report = { ready: true, checks: { kafka: { ok: true } } };
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { kafka: { ok: true } } });
  });

  it('reports not ready when the health callback throws', async () => {
    server = await startTelemetryServer({
      port: 0,
      registry: createMetricsRegistry(),
      health: () => {
        throw new Error('store closed');
      },
    });
    const res = await get('/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).checks.health).toEqual({ ok: false, detail: 'store closed' });
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    server = await startTelemetryServer({
      port: 0,
      registry: createMetricsRegistry(),
      health: () => ({ ready: true }),
    });
    expect((await get('/nope')).status).toBe(404);
    const post = await request(`${server.url}/metrics`, { method: 'POST', dispatcher: agent });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
  });

  it('closes promptly while a keep-alive client still holds a connection', async () => {
    const started = await startTelemetryServer({
      port: 0,
      registry: createMetricsRegistry(),
      health: () => ({ ready: true }),
    });
    server = started;
    expect((await get('/healthz')).status).toBe(200);

    server = undefined;
    const closed = started.close().then(() => 'closed');
    // The keep-alive timeout is a minute: only dropping the idle socket lets close() finish.
    // CLOSE_BOUND_MS is far below that and far above what a busy machine needs.
    expect(await Promise.race([closed, sleep(CLOSE_BOUND_MS, 'still open', { ref: false })])).toBe('closed');
    await expect(request(`${started.url}/healthz`, { dispatcher: new Agent() })).rejects.toThrow();
  });

  it('closes promptly while a request is still waiting for the health callback', async () => {
    let healthAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      healthAsked = resolve;
    });
    const started = await startTelemetryServer({
      port: 0,
      registry: createMetricsRegistry(),
      health: () => {
        healthAsked();
        return new Promise<HealthReport>(() => {});
      },
    });
    const pending = request(`${started.url}/readyz`, { dispatcher: agent }).catch((err: Error) => err);
    await asked;

    const closed = started.close().then(() => 'closed');
    expect(await Promise.race([closed, sleep(CLOSE_BOUND_MS, 'still open', { ref: false })])).toBe('closed');
    expect(await pending).toBeInstanceOf(Error);
  });
});
