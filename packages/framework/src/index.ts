export * from './define.ts';
export { DefinitionHook, type DefinitionHookOptions, type HandlerStats } from './definition-hook.ts';
export { type DefinitionSeed, definitionJob } from './job.ts';
export { importDefinition, isModulePath, moduleTarget } from './load.ts';
export { combinePageHooks, type FetchedPage, type HookOutcome, type PageHookFunction } from './page-hooks.ts';
export { readRequestMeta, requestMeta } from './request-data.ts';
export { type TestPageInput, type TestPageResult, testPage } from './test-page.ts';
export { WarcHook } from './warc/warc-hook.ts';
export { type ArchivedFetch, WarcWriter, type WarcWriterOptions } from './warc/warc-writer.ts';
