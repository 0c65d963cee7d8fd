export * from './builtin.ts';
export * from './load.ts';
export * from './planner.ts';
export * from './recent-urls.ts';
export * from './scope.ts';
export * from './sequence-traps.ts';
export * from './strategy-worker.ts';
export * from './traps.ts';
export type * from './types.ts';
