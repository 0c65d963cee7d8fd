export * from './config.ts';
export * from './planner.ts';
export * from './strategy-worker.ts';
