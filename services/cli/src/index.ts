export * from './connection.ts';
export * from './context.ts';
export * from './errors.ts';
export * from './job-options.ts';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorReport, exitCodeFor, runCli } from './main.ts';
export { buildProgram, CLI_VERSION } from './program.ts';
export { describeCommand } from './program-help.ts';
export { parseSeedLine, parseSeedText, readSeedLines } from './seed-list.ts';
export { publishSeeds, SEED_CHUNK_SIZE, seedMessages } from './seed-publisher.ts';
