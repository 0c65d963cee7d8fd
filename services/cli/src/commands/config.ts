import { describeDefaults, type SettingRow } from '@kraul/config';
import { crawlerConfigSchema } from '@kraul/crawler-service/config';
import { frontierConfigSchema } from '@kraul/frontier-service/config';
import { strategyConfigSchema } from '@kraul/strategy-service/config';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { z } from 'zod';
import { connectionFlagOf, connectionSchema } from '../connection.ts';
import { describeCommand } from '../program-help.ts';
import { SERVICE_NAMES, type ServiceName } from '../service-schemas.ts';

const SERVICE_SCHEMAS: Readonly<Record<ServiceName, z.ZodObject>> = {
  crawler: crawlerConfigSchema,
  frontier: frontierConfigSchema,
  strategy: strategyConfigSchema,
};

interface ReferenceRow extends SettingRow {
  usedBy: string[];
}

/**
 * Every setting once, with the flag really typed (`--brokers`, not `--kafka.brokers`) and
 * the roles that read it: the CLI's connection settings, then each service's own.
 */
export function settingsReference(services: readonly ServiceName[] = SERVICE_NAMES): ReferenceRow[] {
  const rows = new Map<string, ReferenceRow>();
  const add = (row: SettingRow, user: string) => {
    const known = rows.get(row.env);
    if (known) {
      if (!known.usedBy.includes(user)) known.usedBy.push(user);
      return;
    }
    rows.set(row.env, { ...row, flag: connectionFlagOf(row.key) ?? row.flag, usedBy: [user] });
  };
  if (services.length === SERVICE_NAMES.length)
    for (const row of describeDefaults(connectionSchema)) add(row, 'all');
  for (const service of services) {
    for (const row of describeDefaults(SERVICE_SCHEMAS[service])) {
      if (!rows.get(row.env)?.usedBy.includes('all')) add(row, service);
    }
  }
  return [...rows.values()];
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function settingsTableMarkdown(rows: readonly ReferenceRow[]): string {
  const lines = ['| Env var | Flag | Default | Used by | Description |', '|---|---|---|---|---|'];
  for (const row of rows) {
    const value = row.required ? '**required**' : row.default ? `\`${row.default}\`` : '—';
    lines.push(
      `| \`${row.env}\` | \`${row.flag}\` | ${value} | ${row.usedBy.join(', ')} | ${cell(row.description)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function printConfig(options: { service?: ServiceName }): void {
  process.stdout.write(
    settingsTableMarkdown(settingsReference(options.service ? [options.service] : SERVICE_NAMES)),
  );
}

export function registerConfig(program: Command): void {
  const command = program
    .command('config')
    .description(
      'print the settings reference as a Markdown table: env var, flag, default, who reads it, description',
    )
    .addOption(new Option('--service <name>', 'only the settings of one service').choices(SERVICE_NAMES))
    .action(printConfig);
  describeCommand(command, {
    examples: ['kraul config', 'kraul config --service crawler'],
  });
}
