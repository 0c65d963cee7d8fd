export * from './job-registry.ts';
export * from './topic-consumer.ts';
export * from './topic-specs.ts';
