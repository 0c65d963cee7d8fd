import { defaultsTableMarkdown, describeDefaults } from '@kraul/config';
import type { Command } from 'commander';
import { Option } from 'commander';
import { connectionFlagOf, connectionSchema } from '../connection.ts';
import { describeCommand } from '../program-help.ts';
import { SERVICE_NAMES, type ServiceName, serviceConfigSchema } from '../service-schemas.ts';

/** The CLI's own table, with the short flags the CLI really takes (`--brokers`, not `--kafka.brokers`). */
function cliSettingsTable(): string {
  let table = defaultsTableMarkdown(connectionSchema);
  for (const row of describeDefaults(connectionSchema)) {
    const flag = connectionFlagOf(row.key);
    if (flag !== undefined && flag !== row.flag)
      table = table.replace(`| \`${row.flag}\` |`, `| \`${flag}\` |`);
  }
  return table;
}

async function printConfig(options: { service?: ServiceName }): Promise<void> {
  const table =
    options.service === undefined
      ? cliSettingsTable()
      : defaultsTableMarkdown(await serviceConfigSchema(options.service));
  process.stdout.write(table);
}

export function registerConfig(program: Command): void {
  const command = program
    .command('config')
    .description(
      "print the settings reference as a Markdown table: env var, flag, default, description (the CLI's own, or a service's)",
    )
    .addOption(new Option('--service <name>', 'the settings of a service').choices(SERVICE_NAMES))
    .action(printConfig);
  describeCommand(command, {
    examples: ['kraul config', 'kraul config --service crawler > docs/crawler-settings.md'],
  });
}
