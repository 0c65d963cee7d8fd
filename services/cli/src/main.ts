import type { Writable } from 'node:stream';
// The error classes alone: importing the packages whole would load every schema on each start.
import { ConfigError } from '@kraul/config/errors';
import { KraulError } from '@kraul/protocol/errors';
import { CommanderError } from 'commander';
import { CliUsageError } from './errors.ts';
import { buildProgram } from './program.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `kraul job wait` ran out of time before the job was done. */
export const EXIT_TIMEOUT = 3;

/**
 * 0 for help and version, 2 for anything the user must fix on the command line or in the config,
 * 3 for a wait that timed out, else 1.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof KraulError && error.code === 'jobs.wait_timeout') return EXIT_TIMEOUT;
  if (error instanceof ConfigError || error instanceof CliUsageError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/**
 * What the user sees of an error: one line (one per problem when several values are bad),
 * or the whole story with --verbose.
 */
export function errorReport(error: unknown, verbose: boolean): string {
  if (verbose) return `kraul: ${describeVerbose(error)}\n`;
  const message = error instanceof Error ? error.message : String(error);
  const [title, ...problems] = message.split('\n');
  // One bad value fits on the title's line: "invalid configuration (1 problem): KRAUL_X=abc (x): ..."
  if (problems.length === 1) return `kraul: ${title} ${problems[0]!.trim()}\n`;
  return `kraul: ${message}\n`;
}

function describeVerbose(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = [error.stack ?? `${error.name}: ${error.message}`];
  if (error instanceof KraulError)
    lines.push(`  code: ${error.code}`, `  context: ${safeJson(error.context)}`);
  for (
    let cause = error.cause, depth = 0;
    cause !== undefined && depth < 5;
    cause = (cause as Error).cause, depth++
  ) {
    lines.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    if (!(cause instanceof Error)) break;
  }
  return lines.join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export interface RunCliOptions {
  /** Where errors go. Default: process.stderr. */
  stderr?: Writable;
}

/** Runs the command line (`argv` as in process.argv) and resolves with the exit code. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  try {
    const program = await buildProgram({ argv });
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed its own parse errors (and the hint after them).
    if (!(error instanceof CommanderError)) stderr.write(errorReport(error, argv.includes('--verbose')));
    return exitCodeFor(error);
  }
}
