import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './metrics-registry.ts';

/** One named readiness check, e.g. `kafka` or `store`. */
export interface HealthCheck {
  ok: boolean;
  /** Why it is not ok, or any detail worth showing an operator. */
  detail?: string;
}

/** What `/readyz` reports: ready or not, and the checks behind the answer. */
export interface HealthReport {
  ready: boolean;
  checks?: Record<string, HealthCheck>;
}

export interface TelemetryServerOptions {
  /**
   * Interface to listen on. Default `127.0.0.1`: an embedded `kraul run` on a laptop must
   * not expose its metrics to the network. Cluster deployments pass `0.0.0.0` (the
   * services' `metricsHost` setting does) so Prometheus and the orchestrator reach it.
   */
  host?: string;
  /** TCP port; `0` picks a free one (read it back from the result). */
  port: number;
  /** The registry served on `/metrics`. */
  registry: MetricsRegistry;
  /** Readiness, asked on every `/readyz`. A thrown error or rejection counts as not ready. */
  health: () => HealthReport | Promise<HealthReport>;
}

export interface TelemetryServer {
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  url: string;
  /** Stops listening and drops every connection, idle keep-alive and in-flight ones alike. */
  close(): Promise<void>;
}

/**
 * `GET /metrics` (Prometheus text), `GET /healthz` (liveness: the process answers) and
 * `GET /readyz` (readiness from the `health` callback: 200 when ready, 503 otherwise).
 */
export async function startTelemetryServer(options: TelemetryServerOptions): Promise<TelemetryServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(req, res, options).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { status: 'error', error: errorMessage(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // close() alone waits for requests in flight (a readiness check that never answers).
        server.closeAllConnections();
      }),
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  options: TelemetryServerOptions,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    sendJson(res, 404, { status: 'not_found', path });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { status: 'method_not_allowed' });
    return;
  }
  if (path === '/metrics') {
    const body = await options.registry.metrics();
    res.writeHead(200, { 'content-type': options.registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  let report: HealthReport;
  try {
    report = await options.health();
  } catch (err) {
    report = { ready: false, checks: { health: { ok: false, detail: errorMessage(err) } } };
  }
  sendJson(res, report.ready ? 200 : 503, {
    status: report.ready ? 'ready' : 'not_ready',
    checks: report.checks ?? {},
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
