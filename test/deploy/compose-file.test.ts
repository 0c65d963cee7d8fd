/**
 * docker-compose.yml, the Dockerfile and the monitoring files, checked offline for what
 * breaks users without failing loudly: a workspace the image forgets, a v2-only key that
 * Debian's Compose 1.29 rejects, a fixed name or port that stops `--scale`, a dashboard
 * query on a metric kraul does not export. The compose test runs the cluster for real.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: free-form compose document
const compose = parse(read('docker-compose.yml'), { merge: true }) as any;
const ROLES = ['frontier', 'strategy', 'crawler'];
/** A Compose interpolation with a default, as written in the file: `${NAME:-fallback}`. */
const variable = (name: string, fallback: string) => `\${${name}:-${fallback}}`;

describe('docker-compose.yml', () => {
  it('uses only keys Compose v1 1.29 knows as well as v2', () => {
    // Top-level `name`, `include` and per-service `develop` exist in Compose v2 only.
    expect(
      Object.keys(compose)
        .filter((key) => !key.startsWith('x-'))
        .sort(),
    ).toEqual(['services', 'volumes']);
    for (const [name, service] of Object.entries<Record<string, unknown>>(compose.services)) {
      expect(Object.keys(service), name).not.toContain('develop');
    }
  });

  it('runs every role and the topics from the project image, with healthchecks and restarts', () => {
    for (const role of [...ROLES, 'topics']) {
      const service = compose.services[role];
      expect(service.image, role).toBe(variable('KRAUL_IMAGE', 'kraul:local'));
      expect(service.build.args.NODE_IMAGE, role).toBe(variable('KRAUL_NODE_IMAGE', 'node:24-bookworm-slim'));
      expect(service.command[0], role).toBe(role === 'topics' ? 'topics' : role);
    }
    for (const role of ROLES) {
      const service = compose.services[role];
      expect(service.healthcheck.test.join(' '), role).toContain('/readyz');
      expect(service.restart, role).toBe('unless-stopped');
      expect(service.depends_on.topics.condition, role).toBe('service_completed_successfully');
    }
    expect(compose.services.topics.depends_on.kafka.condition).toBe('service_healthy');
    expect(compose.services.frontier.volumes).toContain('frontier-data:/var/lib/kraul/frontier');
  });

  it('lets the crawler scale: no container name, no host port', () => {
    expect(compose.services.crawler.container_name).toBeUndefined();
    expect(compose.services.crawler.ports).toBeUndefined();
  });

  it('pins an overridable official Kafka image, advertising kafka:9092 inside and loopback to the host', () => {
    const kafka = compose.services.kafka;
    expect(kafka.image).toMatch(/^\$\{KRAUL_KAFKA_IMAGE:-apache\/kafka:\d+\.\d+\.\d+\}$/);
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toBe(
      `INTERNAL://kafka:9092,EXTERNAL://127.0.0.1:${variable('KRAUL_KAFKA_HOST_PORT', '9092')}`,
    );
    expect(kafka.ports).toEqual([`127.0.0.1:${variable('KRAUL_KAFKA_HOST_PORT', '9092')}:9094`]);
    expect(kafka.environment.CLUSTER_ID).toBeDefined();
    expect(kafka.healthcheck).toBeDefined();
  });

  it('keeps monitoring in its own profile', () => {
    for (const name of ['prometheus', 'grafana', 'kafka-exporter']) {
      expect(compose.services[name].profiles, name).toEqual(['monitoring']);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('copies the manifest of every workspace before npm ci', () => {
    const workspaces = ['packages', 'services'].flatMap((dir) =>
      readdirSync(join(root, dir)).map((name) => `${dir}/${name}/package.json`),
    );
    for (const manifest of workspaces) {
      expect(dockerfile, manifest).toContain(`COPY ${manifest} ${manifest.replace('package.json', '')}`);
    }
  });

  it('installs production dependencies only and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24/m);
  });
});

describe('the Grafana dashboard', () => {
  // biome-ignore lint/suspicious/noExplicitAny: dashboard JSON
  const dashboard = JSON.parse(read('deploy/monitoring/grafana/dashboards/kraul.json')) as any;
  const exprs: string[] = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) =>
    panel.targets.map((target) => target.expr),
  );
  const sources = ['packages/crawl/src', 'packages/frontier/src', 'packages/strategy/src']
    .flatMap((dir) => readdirSync(join(root, dir)).map((file) => read(`${dir}/${file}`)))
    .join('\n');

  it('queries only metrics kraul exports (or the lag exporter)', () => {
    const names = new Set(exprs.flatMap((expr) => expr.match(/kraul_[a-z_]+/g) ?? []));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) {
      const declared = name.replace(/^kraul_/, '').replace(/_bucket$/, '');
      expect(sources, name).toContain(`'${declared}'`);
    }
  });

  it('has throughput, lag per group, per-host queues and errors by class', () => {
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title).join('\n');
    for (const title of [/Throughput/, /Lag per consumer group/, /Per-host queues/, /Errors by class/]) {
      expect(titles).toMatch(title);
    }
    expect(exprs.some((expr) => expr.includes('kafka_consumergroup_lag'))).toBe(true);
  });
});
