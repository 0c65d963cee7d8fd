export * from './feed-window.ts';
export * from './frontier-worker.ts';
export * from './host-cap.ts';
export * from './host-placement.ts';
export * from './host-robots.ts';
export * from './progress-reporter.ts';
export * from './retry-policy.ts';
export * from './shard.ts';
