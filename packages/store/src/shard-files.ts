import { join } from 'node:path';
import { type DataDirOptions, inspectDataDir } from './data-dir.ts';
import { openSqliteShardStore, type SqliteShardStore } from './sqlite-shard-store.ts';
import type { EndedUrl } from './types.ts';

/**
 * Opens each shard file of a kraul state folder of `options.prefix` in turn (checked by
 * `inspectDataDir`, so nothing else is read), hands it to `fn`, and closes it. Returns how
 * many shards there were.
 */
export function withEachShard(
  dataDir: string,
  options: DataDirOptions,
  fn: (store: SqliteShardStore) => void,
): number {
  const { shardFiles } = inspectDataDir(dataDir, options);
  for (const { name, partition } of shardFiles) {
    const store = openSqliteShardStore({ path: join(dataDir, name), partition });
    try {
      fn(store);
    } finally {
      store.close();
    }
  }
  return shardFiles.length;
}

/**
 * Every failed and dropped URL of a kraul state folder (of one job, or all), shard by shard,
 * a page of rows at a time: memory stays flat however many there are. The folder is checked
 * when the first URL is asked for.
 */
export function* endedUrlsIn(
  dataDir: string,
  options: DataDirOptions & { pageSize?: number },
  job?: string,
): Generator<EndedUrl> {
  const pageSize = options.pageSize ?? 1_000;
  for (const { name, partition } of inspectDataDir(dataDir, options).shardFiles) {
    const store = openSqliteShardStore({ path: join(dataDir, name), partition });
    try {
      let afterId = 0;
      for (;;) {
        const page = store.endedUrls({ ...(job === undefined ? {} : { job }), afterId, limit: pageSize });
        yield* page;
        if (page.length < pageSize) break;
        afterId = page.at(-1)!.id;
      }
    } finally {
      store.close();
    }
  }
}
