import { KraulError } from '@kraul/protocol/errors';

/** One bad setting, as shown to whoever started the service. */
export interface ConfigProblem {
  /** Dotted path in the schema, e.g. `crawler.concurrency`. */
  key: string;
  /** Where the value came from: the env var name or the flag (`--crawler.concurrency`). */
  source?: string;
  /** The value as given, `***` for secrets; absent when nothing was set. */
  value?: string;
  /** What is wrong, in plain words. */
  reason: string;
}

/**
 * Configuration that does not validate. The message lists every problem, one per line,
 * so a misconfigured deployment is fixed in one round trip, not one value at a time.
 */
export class ConfigError extends KraulError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super('config.invalid', `invalid configuration (${count}):\n${problems.map(problemLine).join('\n')}`, {
      problems,
    });
    this.problems = problems;
  }
}

/** `  KRAUL_CRAWLER_CONCURRENCY=abc (crawler.concurrency): expected a number >= 1` */
export function problemLine(problem: ConfigProblem): string {
  const origin = problem.source
    ? `${problem.source}${problem.value === undefined ? '' : `=${problem.value}`} (${problem.key})`
    : problem.key;
  return `  ${origin}: ${problem.reason}`;
}
