import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { allowAddressFlags, isGraphPage, readJsonLines, tempWorkDir } from './site-crawl.ts';

const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');

/** The command lines of the README's `sh` blocks, comments dropped. */
function readmeCommands(): string[] {
  const commands: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '') commands.push(command);
    }
  }
  return commands;
}

/** The README's main job: the first `./kraul run` line. */
function mainJob(): string[] {
  const line = readmeCommands().find((command) => command.startsWith('./kraul run '));
  if (!line) throw new Error('the README shows no `./kraul run` command');
  return line.split(/\s+/).slice(1);
}

describe('the README, as a user follows it', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    // More pages than the README's --max-pages, so the limit is what ends the crawl.
    site = await startTestSite({ hosts: 1, pagesPerHost: 150 });
    work = await tempWorkDir('readme');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('shows the main job as the example of `kraul run --help`, and every flag of its commands exists', async () => {
    const [, ...job] = mainJob();
    expect(job).toEqual(['https://example.com/', '--max-pages', '100', '--out', 'pages.jsonl']);
    const help = await runKraulIn(['run', '--help'], { cwd: work.dir, viaScript: true });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`kraul run ${job.join(' ')}`);

    // Each command line of the README (`kraul <command> [<sub>] --flag ...`) names flags its help lists.
    const lines = readmeCommands().filter((line) => /^(\.\/)?kraul /.test(line));
    expect(lines.length).toBeGreaterThan(5);
    const helps = await Promise.all(
      lines.map((line) => {
        const words = line.split(/\s+/).slice(1);
        // `topics`, `job` and `cluster` group subcommands; every other command is one word.
        const command = ['topics', 'job', 'cluster'].includes(words[0] ?? '')
          ? words.slice(0, 2)
          : words.slice(0, 1);
        return runKraulIn([...command, '--help'], { cwd: work.dir }).then((result) => ({ line, result }));
      }),
    );
    for (const { line, result } of helps) {
      expect(result.code, line).toBe(0);
      for (const flag of line.match(/(?<=\s)--[a-z-]+/g) ?? []) expect(result.stdout, line).toContain(flag);
    }
  });

  it('runs the main job: one JSON object per page, --max-pages honoured, resumed by the same command', async () => {
    const [, , ...flags] = mainJob();
    // The README's command on the test site: only what a loopback site needs (and a short delay) is added.
    const command = ['run', site.url(0, '/p/0'), ...flags, ...allowAddressFlags(site), '--delay', '10ms'];
    const first = await runKraulIn(command, { cwd: work.dir, viaScript: true });
    expect(first.stderr).toMatch(/^done: \d+ pages fetched in /m);
    expect(first.code).toBe(0);

    const fetched = site.requests((request) => request.path !== '/robots.txt');
    expect(fetched.length).toBeLessThanOrEqual(100);
    expect(fetched.length).toBeGreaterThan(50);
    const lines = await readJsonLines(join(work.dir, 'pages.jsonl'));
    expect(lines).toHaveLength(site.requests(isGraphPage).length);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['url', 'status', 'title', 'text', 'headers']),
      );
    }

    // Done is done: the same command again fetches nothing, --fresh starts over.
    site.clearLog();
    const again = await runKraulIn(command, { cwd: work.dir, viaScript: true });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`kraul: resuming job 127.0.0.2: ${fetched.length} pages already done`);
    expect(again.stderr).toContain('done: 0 pages fetched in ');
    expect(site.requests(isGraphPage)).toEqual([]);

    const fresh = await runKraulIn([...command, '--fresh'], { cwd: work.dir, viaScript: true });
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).not.toContain('resuming');
    expect(site.requests(isGraphPage).length).toBe(lines.length);
  });
});
