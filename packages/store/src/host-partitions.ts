import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { HostPartitions } from './types.ts';

/**
 * The `host_partitions` table of a shard: the todo partition each host key's fetch requests
 * go to. The frontier decides it before a host's first request is sent and never changes it,
 * so every request of a host reaches the one crawler that owns that partition.
 */
export class SqliteHostPartitions implements HostPartitions {
  readonly #get: StatementSync;
  readonly #set: StatementSync;
  readonly #counts: StatementSync;
  readonly #assertOpen: () => void;

  constructor(db: DatabaseSync, assertOpen: () => void) {
    this.#get = db.prepare('SELECT todo_partition AS partition FROM host_partitions WHERE host_key = ?');
    this.#set = db.prepare('INSERT INTO host_partitions (host_key, todo_partition) VALUES (?, ?)');
    this.#counts = db.prepare(
      'SELECT todo_partition AS partition, count(*) AS hosts FROM host_partitions GROUP BY todo_partition',
    );
    this.#assertOpen = assertOpen;
  }

  get(hostKey: string): number | undefined {
    this.#assertOpen();
    return (this.#get.get(hostKey) as { partition: number } | undefined)?.partition;
  }

  set(hostKey: string, partition: number): void {
    this.#assertOpen();
    // A plain insert: a second decision for a host key is a bug, and fails loudly.
    this.#set.run(hostKey, partition);
  }

  counts(): Map<number, number> {
    this.#assertOpen();
    const rows = this.#counts.all() as unknown as { partition: number; hosts: number }[];
    return new Map(rows.map((row) => [row.partition, row.hosts]));
  }
}
