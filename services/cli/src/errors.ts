import { KraulError } from '@kraul/protocol/errors';

/**
 * A command line or configuration the CLI cannot act on: a bad flag value, a missing
 * argument, an unreadable certificate file. The process exits with code 2 and one line
 * per problem, no stack trace (unless --verbose).
 */
export class CliUsageError extends KraulError {}

/** One bad value of a command line, as shown to the user. */
export interface OptionProblem {
  /** The flag or argument as typed, e.g. `--max-depth` or `<id>`. */
  source: string;
  /** The value as given; absent when nothing was given. */
  value?: string;
  /** What is wrong, in plain words. */
  reason: string;
}

/** `  --max-depth=abc: expected an integer between 0 and 10000` */
export function optionProblemLine(problem: OptionProblem): string {
  return `  ${problem.source}${problem.value === undefined ? '' : `=${problem.value}`}: ${problem.reason}`;
}

/** Flags of a command that do not go together or have bad values. Lists every problem at once. */
export class OptionsError extends CliUsageError {
  readonly problems: readonly OptionProblem[];

  constructor(what: string, problems: readonly OptionProblem[], code = 'cli.invalid_options') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(code, `invalid ${what} options (${count}):\n${problems.map(optionProblemLine).join('\n')}`, {
      problems,
    });
    this.problems = problems;
  }
}

/** Job flags that do not make a valid job. Lists every problem at once. */
export class JobOptionsError extends OptionsError {
  constructor(problems: readonly OptionProblem[]) {
    super('job', problems, 'cli.invalid_job_options');
  }
}

/** A TLS file named in the configuration that cannot be read. */
export class TlsFileError extends CliUsageError {
  constructor(what: string, path: string, setting: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'cli.tls_file_unreadable',
      `cannot read the TLS ${what} file ${path} (${setting}): ${reason}`,
      {
        path,
        setting,
      },
      { cause },
    );
  }
}

/**
 * A command that ran but could not do its job: a job that does not exist, topics that
 * disagree with the requested layout. Exit code 1.
 */
export class CommandError extends KraulError {}
