import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI_VERSION } from '../src/program.ts';
import { runKraul } from './run-kraul.ts';

// No broker here: each command fails (or finishes) before it connects, or finds nobody
// listening on a closed loopback port.
const offline = { KRAUL_KAFKA_BROKERS: '127.0.0.1:1' };

describe('kraul exit codes', () => {
  it('exit 0 with help and version', async () => {
    const help = await runKraul(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: kraul');
    const version = await runKraul(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${CLI_VERSION}\n` });
  });

  it('exit 2 with one line naming a bad environment value', async () => {
    const run = await runKraul(['topics', 'describe'], {
      env: { ...offline, KRAUL_KAFKA_PARTITIONS: 'abc' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'kraul: invalid configuration (1 problem): KRAUL_KAFKA_PARTITIONS=abc (kafka.partitions): expected an integer >= 1\n',
    );
    expect(run.stdout).toBe('');
  });

  it('exit 2 naming a bad flag as typed, one line per problem', async () => {
    const run = await runKraul(['status', '--partitions', 'many', '--brokers', 'nohost'], { env: offline });
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('kraul: invalid configuration (2 problems):');
    expect(lines.slice(1).sort()).toEqual([
      '  --brokers=nohost (kafka.brokers): item 1: expected host:port, e.g. 127.0.0.1:9092',
      '  --partitions=many (kafka.partitions): expected an integer >= 1',
    ]);
  });

  it('exit 2 listing every bad job flag before anything is published', async () => {
    const run = await runKraul(
      ['job', 'create', 'docs', '--seed', 'nope', '--max-depth', '-1', '--scope', 'world'],
      {
        env: offline,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kraul: invalid job options (3 problems):');
    expect(run.stderr).toContain('  --seed=nope: Not a valid URL');
    expect(run.stderr).toContain('  --max-depth=-1: expected an integer between 0 and 10000');
    expect(run.stderr).toContain('  --scope=world: expected one of: host, domain, any');
  });

  it('exit 2 on an unknown option or a missing argument, with a hint instead of a stack', async () => {
    const unknown = await runKraul(['topics', 'create', '--partitons', '3'], { env: offline });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--partitons'");
    expect(unknown.stderr).toContain('(add --help for usage and examples)');
    expect(unknown.stderr).not.toContain('    at ');
    const missing = await runKraul(['job', 'pause'], { env: offline });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'id'");
  });

  it('exit 2 naming an unreadable TLS file; --verbose adds the stack', async () => {
    const args = ['topics', 'describe', '--tls', '--tls-ca', '/nonexistent/ca.pem'];
    const run = await runKraul(args, { env: offline });
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(
      'cannot read the TLS CA file /nonexistent/ca.pem (--tls-ca / KRAUL_KAFKA_TLS_CA)',
    );
    const verbose = await runKraul([...args, '--verbose'], { env: offline });
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toContain('    at ');
    expect(verbose.stderr).toContain('code: cli.tls_file_unreadable');
  });

  it('exit 2 with one line when `run --out` names a file that cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kraul-out-'));
    try {
      // A regular file where the output's folder should be.
      writeFileSync(join(dir, 'file'), '');
      const out = join(dir, 'file', 'pages.jsonl');
      const run = await runKraul(
        ['run', 'http://127.0.0.1:1/', '--out', out, '--data-dir', join(dir, 'state'), '--no-progress'],
        { env: offline },
      );
      expect(run.code).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^kraul: --out=.*pages\.jsonl: cannot write pages there: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit 1 with one line when no broker answers', async () => {
    const run = await runKraul(['topics', 'describe'], { env: offline });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^kraul: could not describe kraul\.\w+: .*ECONNREFUSED 127\.0\.0\.1:1/);
  });

  it('print the settings table without a broker', async () => {
    const run = await runKraul(['config'], { env: offline });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('| Env var | Flag | Default | Used by | Description |');
    expect(run.stdout).toContain('| `KRAUL_KAFKA_PARTITIONS` | `--partitions` | `12` | all |');
    expect(run.stdout).toContain(
      '| `KRAUL_SESSION_TIMEOUT` | `--session-timeout` | `2500ms` | crawler, frontier, strategy |',
    );
    const crawler = await runKraul(['config', '--service', 'crawler'], { env: offline });
    expect(crawler.code).toBe(0);
    expect(crawler.stdout).toContain('| `KRAUL_CONCURRENCY` | `--concurrency` | `32` | crawler |');
    expect(crawler.stdout).not.toContain('KRAUL_DATA_DIR');
    const wrong = await runKraul(['config', '--service', 'indexer'], { env: offline });
    expect(wrong.code).toBe(2);
  });

  it('run from the checkout through the root wrapper script', async () => {
    const wrapper = fileURLToPath(new URL('../../../kraul', import.meta.url));
    const { stdout } = await promisify(execFile)('bash', [wrapper, '--version']);
    expect(stdout).toBe(`${CLI_VERSION}\n`);
  });
});
