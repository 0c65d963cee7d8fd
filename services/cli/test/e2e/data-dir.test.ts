import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDataDir, DATA_DIR_MANIFEST } from '@kraul/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';

// Nothing listens on port 1 of 127.0.0.2: every case here ends before a fetch would matter.
const seed = 'http://127.0.0.2:1/';
// Each case starts kraul up to three times; a loaded machine takes seconds per start.
const SPAWNS_TIMEOUT_MS = 180_000;

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'kraul-e2e-datadir-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Every path under `dir` with its content, symlinks not followed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = entry.isFile()
      ? readFileSync(path, 'utf8')
      : entry.isSymbolicLink()
        ? 'link'
        : 'dir';
  }
  return out;
}

function documents(): string {
  const docs = join(work, 'documents');
  mkdirSync(join(docs, 'taxes', '2025'), { recursive: true });
  writeFileSync(join(docs, 'letter.txt'), 'dear kraul');
  writeFileSync(join(docs, 'taxes', '2025', 'return.pdf'), 'numbers');
  return docs;
}

async function run(args: string[]) {
  return runKraulIn(['run', seed, '--no-progress', ...args], { cwd: work, killAfterMs: 150_000 });
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('kraul run --data-dir / --fresh never deletes what kraul did not write', () => {
  it(
    'refuses a file with exit 2 and one line, with or without --fresh, and leaves it',
    async () => {
      const file = join(work, 'passwd');
      writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\n');
      for (const fresh of [['--fresh'], []]) {
        const result = await run(['--data-dir', file, ...fresh]);
        expect(result.code).toBe(2);
        expect(oneLine(result.stderr)).toBe(
          `kraul: --data-dir=${file}: not a folder; kraul keeps its state in a folder of its own and leaves this file as it is`,
        );
        expect(result.stderr).not.toContain('Warning');
        expect(result.stderr).not.toContain('done:');
      }
      expect(readFileSync(file, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    "refuses a folder of a user's files and subfolders with --fresh, deleting nothing",
    async () => {
      const docs = documents();
      const before = snapshot(docs);
      const result = await run(['--data-dir', docs, '--fresh']);
      expect(result.code).toBe(2);
      expect(oneLine(result.stderr)).toContain(
        `kraul: --data-dir=${docs}: refusing a folder that holds files kraul did not write (letter.txt, taxes)`,
      );
      expect(snapshot(docs)).toEqual(before);
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'refuses a symlinked data dir leading to foreign files, and a link inside a state folder',
    async () => {
      const docs = documents();
      const before = snapshot(docs);
      const link = join(work, 'state-link');
      symlinkSync(docs, link);
      const viaLink = await run(['--data-dir', link, '--fresh']);
      expect(viaLink.code).toBe(2);
      expect(snapshot(docs)).toEqual(before);

      const state = join(work, 'state');
      claimDataDir(state, { prefix: 'kraul', job: '127.0.0.2' });
      symlinkSync(join(docs, 'letter.txt'), join(state, 'frontier-0.sqlite'));
      const inside = await run(['--data-dir', state, '--fresh']);
      expect(inside.code).toBe(2);
      expect(oneLine(inside.stderr)).toContain('files kraul did not write (frontier-0.sqlite)');
      expect(snapshot(docs)).toEqual(before);
      expect(readdirSync(state).sort()).toEqual(['frontier-0.sqlite', DATA_DIR_MANIFEST]);
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'refuses the folder of another prefix or another job, naming both',
    async () => {
      const other = join(work, 'other-prefix');
      claimDataDir(other, { prefix: 'tenant-a' });
      const prefix = await run(['--data-dir', other, '--fresh']);
      expect(prefix.code).toBe(2);
      expect(oneLine(prefix.stderr)).toContain('holds the state of topic prefix "tenant-a", not "kraul"');
      expect(readdirSync(other)).toEqual([DATA_DIR_MANIFEST]);

      const job = join(work, 'other-job');
      claimDataDir(job, { prefix: 'kraul', job: 'docs' });
      const result = await run(['--data-dir', job, '--job', 'blog', '--fresh']);
      expect(result.code).toBe(2);
      expect(oneLine(result.stderr)).toContain('holds the state of job "docs", not of job "blog"');
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'fails with exit 1 and one line naming partition and path when a shard will not open',
    async () => {
      const state = join(work, 'state');
      claimDataDir(state, { prefix: 'kraul', job: 'broken' });
      const shard = join(state, 'frontier-0.sqlite');
      writeFileSync(shard, 'not a sqlite database, not even its header, just text');
      const result = await run(['--data-dir', state, '--job', 'broken']);
      expect(result.code).toBe(1);
      const line = oneLine(result.stderr);
      expect(line).toMatch(
        /^kraul: cannot open the shard store of partition 0 at .*: file is not a database \(group kraul-frontier could not take kraul\.schedule:0, /,
      );
      expect(line).toContain(`at ${shard}: `);
      expect(result.stdout).toBe('');
      // The damaged file is the user's to inspect: left exactly as it was.
      expect(readFileSync(shard, 'utf8')).toBe('not a sqlite database, not even its header, just text');
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'adopts the folder of an older kraul, and --fresh on its own folder clears only its files',
    async () => {
      const state = join(work, 'state');
      const first = await run(['--data-dir', state]);
      expect(first.code).toBe(0);
      const created = JSON.parse(readFileSync(join(state, DATA_DIR_MANIFEST), 'utf8'));
      expect(created).toMatchObject({ prefix: 'kraul', job: '127.0.0.2' });

      // As an older kraul left it: shard files, no manifest. Taken over, state kept.
      rmSync(join(state, DATA_DIR_MANIFEST));
      const adopted = await run(['--data-dir', state]);
      expect(adopted.code).toBe(0);
      expect(adopted.stderr).toContain('job 127.0.0.2: 0 done, 1 failed');
      expect(readdirSync(state)).toContain(DATA_DIR_MANIFEST);

      writeFileSync(join(work, 'beside.txt'), 'next to the state, not in it');
      const manifestBefore = readFileSync(join(state, DATA_DIR_MANIFEST), 'utf8');
      const fresh = await run(['--data-dir', state, '--fresh']);
      expect(fresh.code).toBe(0);
      expect(readFileSync(join(state, DATA_DIR_MANIFEST), 'utf8')).not.toBe(manifestBefore);
      expect(
        readdirSync(state).every((name) => name === DATA_DIR_MANIFEST || /^frontier-\d+\.sqlite/.test(name)),
      ).toBe(true);
      expect(readFileSync(join(work, 'beside.txt'), 'utf8')).toBe('next to the state, not in it');
    },
    SPAWNS_TIMEOUT_MS,
  );
});
