export * from './config.ts';
export * from './frontier-worker.ts';
