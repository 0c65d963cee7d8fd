export * from './codec.ts';
export * from './dead-letter.ts';
export * from './errors.ts';
export * from './json-schema.ts';
export * from './messages/index.ts';
export * from './topics.ts';
