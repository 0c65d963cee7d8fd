import {
  existsSync,
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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimDataDir,
  DATA_DIR_ERROR_CODES,
  DATA_DIR_MANIFEST,
  DataDirError,
  inspectDataDir,
  isKraulStateFile,
} from '../src/data-dir.ts';
import { openSqliteShardStore } from '../src/index.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'kraul-datadir-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Every file and folder under `dir`, as relative paths with their contents (symlinks not followed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = path.slice(dir.length + 1);
    out[key] = entry.isFile() ? readFileSync(path, 'utf8') : entry.isSymbolicLink() ? 'link' : 'dir';
  }
  return out;
}

function userDocuments(): string {
  const docs = join(root, 'documents');
  mkdirSync(join(docs, 'photos', '2024'), { recursive: true });
  writeFileSync(join(docs, 'notes.txt'), 'my notes');
  writeFileSync(join(docs, 'photos', '2024', 'cat.jpg'), 'meow');
  return docs;
}

/** A state folder of prefix `kraul` with two shards, as the frontier leaves it. */
function kraulFolder(name = 'state', prefix = 'kraul'): string {
  const dir = join(root, name);
  claimDataDir(dir, { prefix });
  for (const partition of [0, 1]) {
    openSqliteShardStore({ path: join(dir, `frontier-${partition}.sqlite`), partition }).close();
  }
  writeFileSync(join(dir, 'frontier-1.sqlite-wal'), '');
  return dir;
}

function refusal(run: () => unknown): DataDirError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataDirError);
    return error as DataDirError;
  }
  throw new Error('expected a DataDirError');
}

describe('claimDataDir', () => {
  it('creates a missing folder with its manifest', () => {
    const dir = join(root, 'a', 'b');
    const claimed = claimDataDir(dir, { prefix: 'p1', job: 'docs' });
    expect(claimed.adopted).toBe(false);
    expect(readdirSync(dir)).toEqual([DATA_DIR_MANIFEST]);
    const manifest = JSON.parse(readFileSync(join(dir, DATA_DIR_MANIFEST), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'kraul-frontier-state', version: 1, prefix: 'p1', job: 'docs' });
    // Claimed again: the same manifest is accepted and kept.
    expect(claimDataDir(dir, { prefix: 'p1', job: 'docs' }).manifest).toEqual(manifest);
  });

  it('claims an empty folder', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    claimDataDir(dir, { prefix: 'kraul', fresh: true });
    expect(readdirSync(dir)).toEqual([DATA_DIR_MANIFEST]);
  });

  it('refuses a file, with or without fresh, and leaves it as it is', () => {
    const file = join(root, 'passwd');
    writeFileSync(file, 'root:x:0:0');
    for (const fresh of [false, true]) {
      const error = refusal(() => claimDataDir(file, { prefix: 'kraul', fresh }));
      expect(error.code).toBe(DATA_DIR_ERROR_CODES.notFolder);
      expect(error.message).toBe(
        `--data-dir=${file}: not a folder; kraul keeps its state in a folder of its own and leaves this file as it is`,
      );
    }
    expect(readFileSync(file, 'utf8')).toBe('root:x:0:0');
  });

  it('refuses a folder of foreign files and subfolders, and deletes nothing with fresh', () => {
    const docs = userDocuments();
    const before = snapshot(docs);
    const error = refusal(() => claimDataDir(docs, { prefix: 'kraul', fresh: true }));
    expect(error.code).toBe(DATA_DIR_ERROR_CODES.foreign);
    expect(error.message).toContain('notes.txt, photos');
    expect(error.message.split('\n')).toHaveLength(1);
    expect(snapshot(docs)).toEqual(before);
  });

  it('refuses a kraul folder that has gained a foreign file, deleting nothing', () => {
    const dir = kraulFolder();
    writeFileSync(join(dir, 'report.pdf'), 'keep me');
    const before = snapshot(dir);
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).code).toBe(
      DATA_DIR_ERROR_CODES.foreign,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('with fresh, deletes only its own files and keeps the folder', () => {
    const dir = kraulFolder();
    expect(readdirSync(dir).sort()).toEqual([
      'frontier-0.sqlite',
      'frontier-1.sqlite',
      'frontier-1.sqlite-wal',
      DATA_DIR_MANIFEST,
    ]);
    const claimed = claimDataDir(dir, { prefix: 'kraul', fresh: true });
    expect(claimed.removed.sort()).toEqual([
      'frontier-0.sqlite',
      'frontier-1.sqlite',
      'frontier-1.sqlite-wal',
      DATA_DIR_MANIFEST,
    ]);
    expect(readdirSync(dir)).toEqual([DATA_DIR_MANIFEST]);
  });

  it('refuses the folder of another prefix, naming both, and deletes nothing', () => {
    const dir = kraulFolder('state', 'tenant-a');
    const before = snapshot(dir);
    const error = refusal(() => claimDataDir(dir, { prefix: 'tenant-b', fresh: true }));
    expect(error.code).toBe(DATA_DIR_ERROR_CODES.otherPrefix);
    expect(error.message).toContain('topic prefix "tenant-a", not "tenant-b"');
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a run's folder for another job, and a cluster frontier's folder for a run", () => {
    const run = join(root, 'run');
    claimDataDir(run, { prefix: 'kraul', job: 'docs' });
    expect(refusal(() => claimDataDir(run, { prefix: 'kraul', job: 'blog', fresh: true })).message).toContain(
      'holds the state of job "docs", not of job "blog"',
    );
    expect(readdirSync(run)).toEqual([DATA_DIR_MANIFEST]);
    const cluster = kraulFolder('cluster');
    expect(refusal(() => claimDataDir(cluster, { prefix: 'kraul', job: 'docs' })).code).toBe(
      DATA_DIR_ERROR_CODES.otherJob,
    );
    // The frontier role itself claims without a job: a run's folder is still of its prefix.
    expect(claimDataDir(run, { prefix: 'kraul' }).manifest.job).toBe('docs');
  });

  it('adopts a folder of an older kraul that holds only shard files', () => {
    const dir = kraulFolder();
    rmSync(join(dir, DATA_DIR_MANIFEST));
    const claimed = claimDataDir(dir, { prefix: 'kraul', job: 'docs' });
    expect(claimed.adopted).toBe(true);
    expect(claimed.manifest).toMatchObject({ prefix: 'kraul', job: 'docs' });
    expect(readdirSync(dir)).toContain('frontier-0.sqlite');
    expect(readdirSync(dir)).toContain(DATA_DIR_MANIFEST);
  });

  it('does not adopt an older folder that also holds something else', () => {
    const dir = kraulFolder();
    rmSync(join(dir, DATA_DIR_MANIFEST));
    mkdirSync(join(dir, 'backup'));
    const before = snapshot(dir);
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).code).toBe(
      DATA_DIR_ERROR_CODES.foreign,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('follows a symlinked data dir but never deletes beyond its own files', () => {
    const docs = userDocuments();
    const before = snapshot(docs);
    const link = join(root, 'link-to-docs');
    symlinkSync(docs, link);
    expect(refusal(() => claimDataDir(link, { prefix: 'kraul', fresh: true })).code).toBe(
      DATA_DIR_ERROR_CODES.foreign,
    );
    expect(snapshot(docs)).toEqual(before);

    // A link to a real state folder: cleared inside, the link and the folder both stay.
    const state = kraulFolder();
    const stateLink = join(root, 'link-to-state');
    symlinkSync(state, stateLink);
    claimDataDir(stateLink, { prefix: 'kraul', fresh: true });
    expect(readdirSync(state)).toEqual([DATA_DIR_MANIFEST]);
    expect(existsSync(stateLink)).toBe(true);
  });

  it('refuses a symlink inside the folder, even under a shard name, and leaves its target alone', () => {
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'do not delete');
    for (const name of ['frontier-0.sqlite', 'frontier-2.sqlite-wal', 'other']) {
      const dir = kraulFolder(`state-${name}`);
      rmSync(join(dir, 'frontier-0.sqlite'));
      symlinkSync(secret, join(dir, name));
      const before = snapshot(dir);
      expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).code).toBe(
        DATA_DIR_ERROR_CODES.foreign,
      );
      expect(snapshot(dir)).toEqual(before);
    }
    expect(readFileSync(secret, 'utf8')).toBe('do not delete');
  });

  it('refuses a folder under a kraul file name', () => {
    const dir = join(root, 'state');
    mkdirSync(join(dir, 'frontier-0.sqlite'), { recursive: true });
    writeFileSync(join(dir, 'frontier-0.sqlite', 'inside'), 'x');
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).code).toBe(
      DATA_DIR_ERROR_CODES.foreign,
    );
    expect(readFileSync(join(dir, 'frontier-0.sqlite', 'inside'), 'utf8')).toBe('x');
  });

  it('refuses a manifest it cannot read or one from a newer kraul', () => {
    const dir = kraulFolder();
    writeFileSync(join(dir, DATA_DIR_MANIFEST), 'not json');
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).code).toBe(
      DATA_DIR_ERROR_CODES.badManifest,
    );
    writeFileSync(join(dir, DATA_DIR_MANIFEST), JSON.stringify({ kind: 'something-else', version: 1 }));
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul' })).code).toBe(DATA_DIR_ERROR_CODES.badManifest);
    writeFileSync(
      join(dir, DATA_DIR_MANIFEST),
      JSON.stringify({ kind: 'kraul-frontier-state', version: 99, prefix: 'kraul', createdAt: '' }),
    );
    expect(refusal(() => claimDataDir(dir, { prefix: 'kraul', fresh: true })).message).toContain(
      'written by a newer kraul (state format 99',
    );
    expect(readdirSync(dir)).toContain('frontier-0.sqlite');
  });

  it('knows its own file names', () => {
    for (const name of [
      'frontier-0.sqlite',
      'frontier-11.sqlite-wal',
      'frontier-3.sqlite-shm',
      DATA_DIR_MANIFEST,
    ])
      expect(isKraulStateFile(name)).toBe(true);
    for (const name of [
      'frontier-.sqlite',
      'frontier-0.sqlite.bak',
      'notes.txt',
      '.DS_Store',
      'frontier-0.db',
    ])
      expect(isKraulStateFile(name)).toBe(false);
  });
});

describe('inspectDataDir', () => {
  it('reads a state folder without writing, listing its shards', () => {
    const dir = kraulFolder();
    const before = snapshot(dir);
    const inspected = inspectDataDir(dir, { prefix: 'kraul' });
    expect(inspected.shardFiles.map((file) => file.partition)).toEqual([0, 1]);
    expect(inspected.manifest?.prefix).toBe('kraul');
    expect(snapshot(dir)).toEqual(before);
  });

  it('reads a folder of an older kraul as it is, writing no manifest', () => {
    const dir = kraulFolder();
    rmSync(join(dir, DATA_DIR_MANIFEST));
    expect(inspectDataDir(dir, { prefix: 'kraul' }).manifest).toBeUndefined();
    expect(readdirSync(dir)).not.toContain(DATA_DIR_MANIFEST);
  });

  it('refuses a missing, empty, foreign or other-prefix folder, and a file', () => {
    expect(refusal(() => inspectDataDir(join(root, 'missing'), { prefix: 'kraul' })).code).toBe(
      DATA_DIR_ERROR_CODES.unusable,
    );
    expect(existsSync(join(root, 'missing'))).toBe(false);
    mkdirSync(join(root, 'empty'));
    expect(refusal(() => inspectDataDir(join(root, 'empty'), { prefix: 'kraul' })).code).toBe(
      DATA_DIR_ERROR_CODES.empty,
    );
    expect(refusal(() => inspectDataDir(userDocuments(), { prefix: 'kraul' })).code).toBe(
      DATA_DIR_ERROR_CODES.foreign,
    );
    expect(refusal(() => inspectDataDir(kraulFolder('a', 'other'), { prefix: 'kraul' })).code).toBe(
      DATA_DIR_ERROR_CODES.otherPrefix,
    );
    writeFileSync(join(root, 'file'), 'x');
    expect(refusal(() => inspectDataDir(join(root, 'file'), { prefix: 'kraul' })).code).toBe(
      DATA_DIR_ERROR_CODES.notFolder,
    );
  });
});
