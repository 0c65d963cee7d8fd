import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteShardStore, type SqliteShardStore, type SqliteShardStoreOptions } from '../src/index.ts';
import type { NewUrl } from '../src/types.ts';

/** Store files in a fresh temporary directory; `cleanup` closes them all and removes it. */
export interface TempStores {
  dir: string;
  path(name?: string): string;
  open(options?: Partial<SqliteShardStoreOptions>): SqliteShardStore;
  cleanup(): void;
}

export function tempStores(): TempStores {
  const dir = mkdtempSync(join(tmpdir(), 'kraul-store-'));
  const opened: SqliteShardStore[] = [];
  const path = (name = 'shard-0.db'): string => join(dir, name);
  return {
    dir,
    path,
    open(options = {}) {
      const store = openSqliteShardStore({ path: path(), partition: 0, ...options });
      opened.push(store);
      return store;
    },
    cleanup() {
      for (const store of opened) store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 16-hex-digit fingerprint for a number, like the url package's. */
export function fpOf(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** URL number `n` of a host, with the fields a test does not care about filled in. */
export function newUrl(n: number, fields: Partial<NewUrl> = {}): NewUrl {
  const hostKey = fields.hostKey ?? 'example.com';
  return {
    fp: fpOf(n),
    url: `https://${hostKey}/page/${n}`,
    job: 'job-a',
    hostKey,
    score: 0.5,
    depth: 1,
    ...fields,
  };
}

/** Rows of a query on a store file, read through a connection of its own. */
export function readFile<T>(path: string, sql: string): T[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** A lease that takes every due URL of job-a. */
export const leaseAll = { now: 1_000, limit: 100, perHost: 100, leaseMs: 60_000, jobs: ['job-a'] };
