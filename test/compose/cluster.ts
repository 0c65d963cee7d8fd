/**
 * Drives the project's docker-compose.yml (plus the test override) and kraul's CLI on the
 * host, for the compose test. Every command is logged with its duration, so the CI output
 * shows what the cluster did.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; quiet?: boolean } = {},
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: repoRoot,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (!options.quiet) {
          const seconds = ((Date.now() - started) / 1000).toFixed(1);
          console.log(`$ ${[file, ...args].join(' ')}  (exit ${code}, ${seconds} s)`);
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterPorts {
  kafka: number;
  siteControl: number;
}

/** `docker compose` or `docker-compose` on the project's file and the test override. */
export class ComposeCluster {
  readonly project = 'kraulcompose';
  readonly #command: string[];
  readonly #env: NodeJS.ProcessEnv;

  constructor(readonly ports: ClusterPorts) {
    this.#command = (process.env['KRAUL_COMPOSE_CMD'] || 'docker-compose').split(' ');
    this.#env = {
      KRAUL_REPO: repoRoot,
      KRAUL_KAFKA_HOST_PORT: String(ports.kafka),
      KRAUL_SITE_CONTROL_PORT: String(ports.siteControl),
      // Few fetches at once per crawler and slow pages (the site's page delay): the crawl is
      // bound by crawler capacity, not by politeness, so adding crawlers shows in pages/s.
      KRAUL_CONCURRENCY: '4',
      // No color codes or progress bars in the CI log.
      COMPOSE_ANSI: 'never',
      COMPOSE_PROGRESS: 'plain',
    };
  }

  get brokers(): string {
    return `127.0.0.1:${this.ports.kafka}`;
  }

  compose(args: readonly string[], options: { timeoutMs?: number; quiet?: boolean } = {}) {
    const [file, ...prefix] = this.#command as [string, ...string[]];
    const files = ['-f', 'docker-compose.yml', '-f', 'test/compose/docker-compose.test.yml'];
    return run(file, [...prefix, '-p', this.project, ...files, ...args], { ...options, env: this.#env });
  }

  async mustCompose(args: readonly string[], options: { timeoutMs?: number; quiet?: boolean } = {}) {
    const result = await this.compose(args, options);
    if (result.code !== 0) {
      throw new Error(
        `compose ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().slice(-2000)}`,
      );
    }
    return result;
  }

  /** Container ids of a service, running or not. */
  async containers(service: string): Promise<string[]> {
    const result = await this.mustCompose(['ps', '-q', service], { quiet: true });
    return result.stdout.split('\n').filter(Boolean);
  }

  /** Every container of the project, by label, whatever compose thinks. */
  async projectContainers(): Promise<string[]> {
    const result = await run(
      'docker',
      ['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.project}`],
      {
        quiet: true,
      },
    );
    return result.stdout.split('\n').filter(Boolean);
  }

  async projectVolumes(): Promise<string[]> {
    const result = await run(
      'docker',
      ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${this.project}`],
      { quiet: true },
    );
    return result.stdout.split('\n').filter(Boolean);
  }

  async inspect(container: string, format: string): Promise<string> {
    const result = await run('docker', ['inspect', '-f', format, container], { quiet: true });
    return result.stdout.trim();
  }

  /** Health of every container of a service (`healthy`, `starting`, `unhealthy`, or its state). */
  async health(service: string): Promise<string[]> {
    const ids = await this.containers(service);
    return Promise.all(
      ids.map((id) =>
        this.inspect(id, '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'),
      ),
    );
  }

  /** Runs `kraul <args>` on the host against the cluster's broker. */
  kraul(args: readonly string[], options: { quiet?: boolean; timeoutMs?: number } = {}) {
    return run(process.execPath, ['services/cli/bin/kraul.ts', ...args, '--brokers', this.brokers], {
      ...options,
      env: { KRAUL_LOG_FORMAT: 'json' },
    });
  }

  /** One metric's samples from a role container's /metrics, read inside the container. */
  async metrics(container: string): Promise<string> {
    const script =
      "fetch('http://127.0.0.1:9100/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
    const result = await run('docker', ['exec', container, 'node', '-e', script], { quiet: true });
    if (result.code !== 0) throw new Error(`metrics of ${container}: ${result.stderr.trim()}`);
    return result.stdout;
  }
}

/** The value of one sample (`name{label="v"}`) in a Prometheus text page; 0 when absent. */
export function sample(page: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of page.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const text = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => text.includes(`${key}="${value}"`))) {
      return Number(match[3]);
    }
  }
  return 0;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1_000));
  }
}
