export * from './config.ts';
export * from './crawler-worker.ts';
export * from './host-scheduler.ts';
export * from './page-handler.ts';
