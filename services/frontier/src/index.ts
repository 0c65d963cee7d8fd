export * from './config.ts';
export * from './frontier-worker.ts';
export * from './progress-reporter.ts';
