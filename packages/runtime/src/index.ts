export * from './job-registry.ts';
export * from './topic-consumer.ts';
