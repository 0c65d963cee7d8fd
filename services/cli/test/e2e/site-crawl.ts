import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggedRequest, TestSite } from '@kraul/testkit';

/** Requests for the site's graph pages (`/p/<n>`), the pages a crawl of it is judged on. */
export const isGraphPage = (request: LoggedRequest): boolean => /^\/p\/\d+$/.test(request.path);

/** `--allow-address <a>` for every host of the site: loopback is refused unless a job allows it. */
export function allowAddressFlags(site: TestSite): string[] {
  return site.hosts.flatMap((host) => ['--allow-address', host.address]);
}

/**
 * The job flags of a whole-site crawl: every host's address allowed, any host in scope but
 * only the site's own addresses allowed by pattern, and the given delay.
 */
export function siteJobFlags(site: TestSite, delay: string): string[] {
  const lastOctets = site.hosts.map((host) => host.address.split('.').at(-1)).join('|');
  return [
    ...allowAddressFlags(site),
    '--scope',
    'any',
    '--allow',
    `^http://127\\.0\\.0\\.(${lastOctets}):`,
    '--delay',
    delay,
  ];
}

/** How often each graph page URL was requested. */
export function graphPageCounts(site: TestSite): Map<string, number> {
  return site.countByUrl(isGraphPage);
}

/** URLs requested more than once, with their counts. */
export function repeated(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts].filter(([, count]) => count > 1);
}

export interface WaitOptions {
  /** Gives up after this long. Default: 60 s. */
  timeoutMs?: number;
  /** Pause between checks. Default: 50 ms. */
  intervalMs?: number;
}

/** Polls until `check` returns true; rejects naming `what` when the time is up. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Resolves once the site has had no request at all (and none open) for `quietMs`. */
export async function waitForQuiet(
  site: TestSite,
  quietMs: number,
  options: WaitOptions = {},
): Promise<void> {
  await waitUntil(
    `the site to go quiet for ${quietMs} ms`,
    () => {
      const requests = site.requests();
      if (requests.length === 0 || requests.some((request) => request.endedAt === undefined)) return false;
      const lastActivity = Math.max(...requests.map((request) => request.endedAt ?? request.startedAt));
      return performance.now() - lastActivity >= quietMs;
    },
    { intervalMs: 100, ...options },
  );
}

/** A fresh temporary working directory, and a function that removes it. */
export async function tempWorkDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `kraul-e2e-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The objects of a JSON lines file. */
export async function readJsonLines<T = Record<string, unknown>>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
