import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runKraul } from './run-kraul.ts';

const recorder = pathToFileURL(new URL('./module-recorder.ts', import.meta.url).pathname).href;
const work = mkdtempSync(join(tmpdir(), 'kraul-modules-'));
let runs = 0;

/** Runs kraul in a child process and returns the modules it loaded (URLs), and its result. */
async function modulesLoadedBy(args: string[]) {
  runs += 1;
  const list = join(work, `modules-${runs}.txt`);
  const result = await runKraul(args, {
    env: { NODE_OPTIONS: `--import=${recorder}`, KRAUL_TEST_MODULE_LIST: list },
  });
  const modules = readFileSync(list, 'utf8').split('\n');
  // The recorder saw the CLI itself: an empty or broken list cannot pass the checks below.
  expect(modules.some((url) => url.endsWith('/services/cli/src/main.ts'))).toBe(true);
  return { result, modules };
}

const loads = (modules: string[], what: string) =>
  modules.some((url) => url === what || url.includes(`/node_modules/${what}/`));

const HEAVY = [
  '@platformatic/kafka',
  'undici',
  'cheerio',
  'htmlparser2',
  'zod',
  'node:sqlite',
  'pino',
  'prom-client',
];

// Child processes on a busy machine: far more time than they need, never a speed check.
describe('the command line loads what a command uses, no more', { timeout: 60_000 }, () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('kraul --version loads no client, parser, schema library or command', async () => {
    const { result, modules } = await modulesLoadedBy(['--version']);
    expect(result.code).toBe(0);
    for (const heavy of HEAVY) expect(loads(modules, heavy), heavy).toBe(false);
    expect(modules.filter((url) => url.includes('/services/cli/src/commands/'))).toEqual([]);
  });

  it("a cluster command's help loads its own module, neither the Kafka client nor the crawl engine", async () => {
    const { result, modules } = await modulesLoadedBy(['topics', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: kraul topics');
    const commands = modules.filter((url) => url.includes('/services/cli/src/commands/'));
    expect(commands.map((url) => url.slice(url.lastIndexOf('/') + 1))).toEqual(['topics.ts']);
    // The Kafka client loads when the command opens a connection (connection.ts), not before.
    for (const heavy of ['@platformatic/kafka', 'undici', 'cheerio', 'htmlparser2', 'node:sqlite']) {
      expect(loads(modules, heavy), heavy).toBe(false);
    }
  });

  it("a role's command loads no worker before it starts", async () => {
    const { result, modules } = await modulesLoadedBy(['frontier', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--data-dir');
    for (const heavy of ['undici', 'cheerio', 'htmlparser2', 'node:sqlite']) {
      expect(loads(modules, heavy), heavy).toBe(false);
    }
    for (const worker of ['crawler-worker.ts', 'frontier-worker.ts', 'strategy-worker.ts']) {
      expect(
        modules.filter((url) => url.endsWith(`/${worker}`)),
        worker,
      ).toEqual([]);
    }
  });

  it('the top-level help still lists every command', async () => {
    const { result } = await modulesLoadedBy(['--help']);
    expect(result.code).toBe(0);
    for (const name of [
      'run',
      'bench',
      'crawler',
      'frontier',
      'strategy',
      'topics',
      'job',
      'seed',
      'status',
      'tail',
      'export',
      'config',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });
});
