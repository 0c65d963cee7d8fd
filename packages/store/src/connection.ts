import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export const MEMORY_PATH = ':memory:';

/**
 * Opens a database file (creating its directory) tuned for one frontier shard.
 *
 * Durability: WAL with `synchronous=NORMAL` survives a crash of the process, but a crash of
 * the machine or power loss may lose the last transactions committed before it. That loss is
 * recoverable: the frontier commits its consumer offsets only after a batch's transaction,
 * so the bus delivers the lost batches again. `FULL` would pay an fsync per transaction for
 * nothing the bus does not already provide.
 */
export function openConnection(path: string, busyTimeoutMs: number): DatabaseSync {
  if (path !== MEMORY_PATH) mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
  try {
    // First, so that the switch to WAL below already waits for another connection's lock.
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
