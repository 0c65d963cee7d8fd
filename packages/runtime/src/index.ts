export * from './job-completion.ts';
export * from './job-lookup.ts';
export * from './job-registry.ts';
export * from './topic-consumer.ts';
export * from './topic-health.ts';
export * from './topic-specs.ts';
