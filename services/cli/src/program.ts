import { readFileSync } from 'node:fs';
import { Command, type OutputConfiguration } from 'commander';
import { registerConfig } from './commands/config.ts';
import { registerExport } from './commands/export.ts';
import { registerJob } from './commands/job.ts';
import { registerRun } from './commands/run.ts';
import { registerSeed } from './commands/seed.ts';
import { registerServices } from './commands/services.ts';
import { registerStatus } from './commands/status.ts';
import { registerTail } from './commands/tail.ts';
import { registerTopics } from './commands/topics.ts';
import { addConnectionOptions } from './connection.ts';
import { describeCommand } from './program-help.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const CLI_VERSION = packageJson.version;

export interface ProgramOptions {
  /** Where help and parse errors go. Default: stdout and stderr. */
  output?: OutputConfiguration;
}

/**
 * The `kraul` command line. Parse errors and --help/--version throw a CommanderError
 * (exitOverride) instead of exiting, so the caller decides the exit code.
 */
export function buildProgram(options: ProgramOptions = {}): Command {
  const program = new Command('kraul')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .description(
      'kraul: a distributed web crawler with an Apache Kafka backbone.\n' +
        'Run a crawl on this machine, or operate a cluster: topics, jobs, seeds, status, tail and export.',
    )
    .option('--verbose', 'print stack traces and details of errors')
    .showHelpAfterError('(add --help for usage and examples)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  if (options.output) program.configureOutput(options.output);
  addConnectionOptions(program);
  describeCommand(program, {
    examples: [
      'kraul run https://example.com/',
      'kraul topics create --brokers kafka-1:9092 --partitions 24',
      'kraul job create docs --seed https://example.com/docs/ --scope host',
      'kraul status',
    ],
    notes: [
      'Every setting can also come from a KRAUL_* environment variable (flags win): `kraul config` lists them.',
      'Exit codes: 0 done, 1 the command failed, 2 bad usage or configuration.',
    ],
  });

  // The embedded crawl and the service roles.
  registerRun(program);
  registerServices(program);
  // Cluster operations.
  registerTopics(program);
  registerJob(program);
  registerSeed(program);
  registerStatus(program);
  registerTail(program);
  registerExport(program);
  registerConfig(program);
  return program;
}
