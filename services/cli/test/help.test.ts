import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.ts';

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({
    writeOut: (chunk) => {
      text += chunk;
    },
  });
  command.outputHelp();
  return text;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function pathOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent)
    names.unshift(current.name());
  return names.join(' ');
}

const program = await buildProgram();

describe('kraul --help', () => {
  const commands = allCommands(program);

  it('has the operator commands', () => {
    const paths = commands.map(pathOf);
    expect(paths).toEqual(
      expect.arrayContaining([
        'kraul topics create',
        'kraul topics describe',
        'kraul job create',
        'kraul job pause',
        'kraul job resume',
        'kraul job stop',
        'kraul job list',
        'kraul seed',
        'kraul status',
        'kraul tail',
        'kraul export',
        'kraul config',
      ]),
    );
  });

  it.each(commands.map((command) => [pathOf(command), command] as const))(
    '%s has a description and an example of its own',
    (path, command) => {
      expect(command.description().length).toBeGreaterThan(10);
      const help = helpOf(command);
      expect(help).toContain('Examples:');
      const examples = help
        .slice(help.indexOf('Examples:'))
        .split('\n')
        .filter((line) => line.startsWith('  $ '));
      expect(examples.length).toBeGreaterThan(0);
      // The examples of a command run that command.
      expect(examples.filter((line) => line.includes(path)).length).toBeGreaterThan(0);
    },
  );

  it('lists the connection flags with every subcommand', () => {
    const create = commands.find((command) => pathOf(command) === 'kraul topics create')!;
    const help = helpOf(create);
    for (const flag of [
      '--brokers',
      '--prefix',
      '--partitions',
      '--replication-factor',
      '--tls-ca',
      '--sasl-mechanism',
    ]) {
      expect(help).toContain(flag);
    }
  });

  it('gives the job flags to job create', () => {
    const create = commands.find((command) => pathOf(command) === 'kraul job create')!;
    const help = helpOf(create);
    for (const flag of [
      '--seed',
      '--scope',
      '--max-depth',
      '--max-pages-per-host',
      '--delay',
      '--no-robots',
      '--host-key',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/\(default:\s+1s\)/);
  });
});
