export * from './data-dir.ts';
export * from './errors.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './shard-files.ts';
export {
  openSqliteShardStore,
  SqliteShardStore,
  type SqliteShardStoreOptions,
} from './sqlite-shard-store.ts';
export * from './types.ts';
