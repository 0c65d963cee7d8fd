// Installs the crawlers kraul is compared with into a folder of their own (bench/.contenders,
// ignored by git), so the bench measures them as their users get them and the workspace's
// dependencies stay kraul's. An install that fails leaves its contender unmeasured, with the
// reason in the report: a contender is never faked.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned, so two runs of the bench measure the same contender. */
export const CRAWLEE_VERSION = '3.18.1';
export const SCRAPY_VERSION = '2.19.0';

/** Where contenders are installed; one subfolder each. */
export const CONTENDERS_DIR = fileURLToPath(new URL('../.contenders/', import.meta.url));

/** An installed contender (the module or program a crawl loads) or why there is none. */
export type Installed = { ok: true; path: string; version: string } | { ok: false; reason: string };

export interface Contenders {
  /** The CommonJS entry of the `crawlee` package. */
  crawlee: Installed;
  /** The Python interpreter of a virtual environment that has Scrapy. */
  scrapy: Installed;
}

const INSTALL_TIMEOUT_MS = 10 * 60_000;

function run(command: string, args: readonly string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = `${stderr}`.trim().split('\n').slice(-3).join(' ') || error.message;
          reject(new Error(`${command} ${args.join(' ')}: ${detail}`));
        } else resolve(stdout);
      },
    );
  });
}

function installedCrawlee(dir: string): Installed | undefined {
  const manifest = join(dir, 'node_modules', 'crawlee', 'package.json');
  if (!existsSync(manifest)) return undefined;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  if (version !== CRAWLEE_VERSION) return undefined;
  return { ok: true, path: createRequire(join(dir, 'package.json')).resolve('crawlee'), version };
}

async function installCrawlee(): Promise<Installed> {
  const dir = join(CONTENDERS_DIR, 'crawlee');
  const found = installedCrawlee(dir);
  if (found) return found;
  mkdirSync(dir, { recursive: true });
  // npm from the PATH: the one that came with the Node running the bench.
  await run('npm', [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--no-save',
    `crawlee@${CRAWLEE_VERSION}`,
  ]);
  return installedCrawlee(dir) ?? { ok: false, reason: `npm installed no crawlee ${CRAWLEE_VERSION}` };
}

async function scrapyVersion(python: string): Promise<string | undefined> {
  if (!existsSync(python)) return undefined;
  try {
    return (await run(python, ['-c', 'import scrapy; print(scrapy.__version__)'])).trim();
  } catch {
    return undefined;
  }
}

async function installScrapy(): Promise<Installed> {
  const dir = join(CONTENDERS_DIR, 'scrapy');
  const python = join(dir, 'bin', 'python');
  if ((await scrapyVersion(python)) !== SCRAPY_VERSION) {
    await run('python3', ['-m', 'venv', dir]);
    await run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `scrapy==${SCRAPY_VERSION}`,
    ]);
  }
  const version = await scrapyVersion(python);
  return version === SCRAPY_VERSION
    ? { ok: true, path: python, version }
    : { ok: false, reason: `pip installed no Scrapy ${SCRAPY_VERSION}` };
}

async function attempt(install: () => Promise<Installed>): Promise<Installed> {
  try {
    return await install();
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** Installs (or finds installed) every contender; never throws. */
export async function installContenders(progress: (line: string) => void): Promise<Contenders> {
  progress('installing contenders into bench/.contenders (once)');
  const [crawlee, scrapy] = await Promise.all([attempt(installCrawlee), attempt(installScrapy)]);
  for (const [name, installed] of Object.entries({ crawlee, scrapy })) {
    progress(
      installed.ok ? `${name} ${installed.version} ready` : `${name} not measured: ${installed.reason}`,
    );
  }
  return { crawlee, scrapy };
}
