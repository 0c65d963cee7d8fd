import type { Command } from 'commander';

export interface CommandHelp {
  /** Command lines shown under "Examples:", most common first. */
  examples: readonly string[];
  /** Paragraphs shown after the examples: what to know before using the command. */
  notes?: readonly string[];
}

/** Adds examples (and notes) after a command's generated help. */
export function describeCommand(command: Command, help: CommandHelp): Command {
  const examples = help.examples.map((example) => `  $ ${example}`).join('\n');
  const notes = (help.notes ?? []).map((note) => `\n${note}`).join('\n');
  return command.addHelpText('after', `\nExamples:\n${examples}\n${notes}`);
}
