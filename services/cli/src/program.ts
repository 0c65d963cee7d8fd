import { readFileSync } from 'node:fs';
import { Command, type OutputConfiguration } from 'commander';
import { addConnectionOptions } from './connection-flags.ts';
import { describeCommand } from './program-help.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const CLI_VERSION = packageJson.version;

export interface ProgramOptions {
  /** Where help and parse errors go. Default: stdout and stderr. */
  output?: OutputConfiguration;
  /**
   * The command line about to be parsed (as in process.argv): only the commands it names are
   * loaded, so a command pays for the modules it uses alone. Without it, or when it names no
   * command (top-level help, an unknown command), every command is loaded.
   */
  argv?: readonly string[];
}

type Register = (program: Command) => void;

/**
 * The commands, each loaded only when it runs: a command module pulls in what its action needs
 * (the Kafka client, the HTTP client, the HTML parser, sqlite, the workers). Listed in the
 * order of the help: the embedded crawl and the service roles, then cluster operations.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['run'], load: async () => (await import('./commands/run.ts')).registerRun },
  { names: ['bench'], load: async () => (await import('./commands/bench.ts')).registerBench },
  { names: ['init'], load: async () => (await import('./commands/init.ts')).registerInit },
  {
    names: ['crawler', 'frontier', 'strategy'],
    load: async () => (await import('./commands/services.ts')).registerServices,
  },
  { names: ['topics'], load: async () => (await import('./commands/topics.ts')).registerTopics },
  { names: ['job'], load: async () => (await import('./commands/job.ts')).registerJob },
  { names: ['seed'], load: async () => (await import('./commands/seed.ts')).registerSeed },
  { names: ['status'], load: async () => (await import('./commands/status.ts')).registerStatus },
  { names: ['cluster'], load: async () => (await import('./commands/cluster.ts')).registerCluster },
  { names: ['tail'], load: async () => (await import('./commands/tail.ts')).registerTail },
  { names: ['export'], load: async () => (await import('./commands/export.ts')).registerExport },
  { names: ['config'], load: async () => (await import('./commands/config.ts')).registerConfig },
];

/**
 * The commands a command line needs. Any argument that is a command's name counts (a flag's
 * value that happens to be one only loads a command too many); none for a bare --version.
 */
function commandsFor(argv: readonly string[] | undefined): typeof COMMANDS {
  if (argv === undefined) return COMMANDS;
  const args = argv.slice(2);
  const named = COMMANDS.filter((entry) => entry.names.some((name) => args.includes(name)));
  if (named.length > 0) return named;
  if (args.includes('--version') || args.includes('-V')) return [];
  return COMMANDS;
}

/**
 * The `kraul` command line. Parse errors and --help/--version throw a CommanderError
 * (exitOverride) instead of exiting, so the caller decides the exit code.
 */
export async function buildProgram(options: ProgramOptions = {}): Promise<Command> {
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

  const wanted = commandsFor(options.argv);
  const registers = await Promise.all(wanted.map((entry) => entry.load()));
  for (const register of registers) register(program);
  return program;
}
