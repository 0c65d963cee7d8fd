import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openConnection } from '../src/connection.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('opens with WAL, synchronous NORMAL, foreign keys and the busy timeout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kraul-store-'));
  dirs.push(dir);
  const db = openConnection(join(dir, 'a', 'b', 'shard.db'), 1234);
  try {
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(1);
    expect(pragma('foreign_keys')).toBe(1);
    expect(pragma('busy_timeout')).toBe(1234);
  } finally {
    db.close();
  }
});
