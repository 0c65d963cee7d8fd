export * from './config.ts';
export * from './crawler-worker.ts';
export * from './page-handler.ts';
export * from './page-hook.ts';
