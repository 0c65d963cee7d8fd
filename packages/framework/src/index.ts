export * from './define.ts';
export { DefinitionHook, type DefinitionHookOptions, type HandlerStats } from './definition-hook.ts';
export { type DefinitionSeed, definitionJob } from './job.ts';
export { importDefinition, isModulePath, moduleTarget } from './load.ts';
export { readRequestMeta, requestMeta } from './request-data.ts';
