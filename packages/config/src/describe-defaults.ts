import type { z } from 'zod';
import { formatByteSize } from './byte-size.ts';
import { formatDurationSetting } from './duration.ts';
import { type Setting, settingTree } from './settings.ts';

export interface DescribeDefaultsOptions {
  /** Prefix of the environment variables. Default `KRAUL_`. */
  envPrefix?: string;
}

/** One row of a settings reference. */
export interface SettingRow {
  /** Dotted path in the schema, e.g. `kafka.brokers`. */
  key: string;
  env: string;
  flag: string;
  /** The default as it would be written in the environment; undefined when there is none. */
  default: string | undefined;
  /** No default and not optional: the service does not start without it. */
  required: boolean;
  description: string;
}

/** Every setting of a schema with its env var, flag, default and description. */
export function describeDefaults(schema: z.ZodObject, options: DescribeDefaultsOptions = {}): SettingRow[] {
  return settingTree(schema, options.envPrefix ?? 'KRAUL_').settings.map((setting) => ({
    key: setting.key,
    env: setting.env,
    flag: setting.flag,
    default: setting.info.hasDefault ? formatDefault(setting) : undefined,
    required: !setting.optional,
    description: setting.info.description ?? '',
  }));
}

/** The settings reference as a Markdown table, so docs are generated from the schemas. */
export function defaultsTableMarkdown(schema: z.ZodObject, options: DescribeDefaultsOptions = {}): string {
  const lines = ['| Env var | Flag | Default | Description |', '|---|---|---|---|'];
  for (const row of describeDefaults(schema, options)) {
    const fallback = row.required ? '**required**' : '—';
    const value = row.default === undefined ? fallback : row.default === '' ? '(empty)' : code(row.default);
    lines.push(`| ${code(row.env)} | ${code(row.flag)} | ${value} | ${cell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

function formatDefault(setting: Setting): string {
  const value = setting.info.defaultValue;
  if (typeof value === 'number' && setting.info.kind === 'duration') return formatDurationSetting(value);
  if (typeof value === 'number' && setting.info.kind === 'byteSize') return formatByteSize(value);
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${cell(text)}${fence}`;
}

/** Table cells hold one line and no unescaped pipes. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}
