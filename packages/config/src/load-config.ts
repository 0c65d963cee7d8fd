import type { z } from 'zod';
import { coerceText } from './coerce.ts';
import { ConfigError, type ConfigProblem } from './errors.ts';
import { describeIssue } from './issue-text.ts';
import { baseOf, defOf, schemaAt } from './schema-inspect.ts';
import { type Setting, settingTree } from './settings.ts';
import { closestName } from './suggest.ts';

export interface LoadConfigOptions {
  /**
   * Environment to read. Default `process.env`. An empty variable counts as unset, as
   * `KRAUL_X=` in a compose file usually means "no value".
   */
  env?: Record<string, string | undefined>;
  /**
   * Flags already parsed by the CLI; they win over the environment. Keys are the setting's
   * camelCase path, nested either with dots (`{ 'kafka.brokers': '…' }`, what commander
   * produces for `--kafka.brokers`) or with objects (`{ kafka: { brokers: […] } }`).
   * Strings are read like env values; other values are validated as given. Default none.
   */
  flags?: Record<string, unknown>;
  /** Prefix of the environment variables. Default `KRAUL_`. */
  envPrefix?: string;
}

/** Something suspicious that did not stop loading, e.g. a misspelt variable. */
export interface ConfigWarning {
  /** The env var or flag as given. */
  name: string;
  /** The known name it most likely meant. */
  suggestion?: string;
  message: string;
}

export interface LoadedConfig<T> {
  config: T;
  warnings: ConfigWarning[];
}

interface ProvidedValue {
  value: unknown;
  /** The env var name or flag it came from. */
  source: string;
  /** The value as written, for messages. */
  shown: string;
}

/**
 * Reads a service's configuration from environment variables and CLI flags and
 * validates it against its schema. Every bad value is reported at once, in a single
 * `ConfigError`; unknown `KRAUL_*` variables and unknown flags come back as warnings.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  options: LoadConfigOptions = {},
): LoadedConfig<z.output<S>> {
  const env = options.env ?? process.env;
  const envPrefix = options.envPrefix ?? 'KRAUL_';
  const { settings, groups } = settingTree(schema, envPrefix);
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const byEnv = new Map(settings.map((s) => [s.env, s]));
  const provided = new Map<string, ProvidedValue>();
  const warnings: ConfigWarning[] = [];

  for (const setting of settings) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') continue;
    provided.set(setting.key, { value: coerceText(setting.schema, raw), source: setting.env, shown: raw });
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith(envPrefix) || byEnv.has(name)) continue;
    const suggestion = closestName(name, [...byEnv.keys()], { prefix: envPrefix });
    warnings.push(unknownWarning(`environment variable ${name}`, name, suggestion));
  }
  for (const [key, value] of flattenFlags(options.flags ?? {}, byKey)) {
    const setting = byKey.get(key);
    if (!setting) {
      const suggestion = closestName(key, [...byKey.keys()], { separator: '.' });
      warnings.push(unknownWarning(`flag ${key}`, key, suggestion));
      continue;
    }
    provided.set(key, { value: flagValue(setting, value), source: setting.flag, shown: showValue(value) });
  }

  const input: Record<string, unknown> = {};
  // Required nested objects exist even when none of their fields is set, so the fields' defaults apply.
  for (const group of groups) if (!group.optional) setPath(input, group.path, {});
  for (const [key, { value }] of provided) setPath(input, byKey.get(key)!.path, value);

  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(problemsOf(result.error.issues, settings, provided));
  return { config: result.data, warnings };
}

function unknownWarning(what: string, name: string, suggestion: string | undefined): ConfigWarning {
  return suggestion
    ? { name, suggestion, message: `unknown ${what} (did you mean ${suggestion}?)` }
    : { name, message: `unknown ${what}` };
}

/** Flag entries keyed by dotted path; objects are walked until they reach a known setting. */
function flattenFlags(flags: Record<string, unknown>, byKey: Map<string, Setting>): Array<[string, unknown]> {
  const entries: Array<[string, unknown]> = [];
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(object)) {
      if (value === undefined) continue;
      const key = prefix ? `${prefix}.${name}` : name;
      if (!byKey.has(key) && isPlainObject(value)) walk(value, key);
      else entries.push([key, value]);
    }
  };
  walk(flags, '');
  return entries;
}

function flagValue(setting: Setting, value: unknown): unknown {
  if (typeof value === 'string') return coerceText(setting.schema, value);
  // Repeated flags (`--seed a --seed b`) arrive as a list of strings: read each item as its type.
  const element = defOf(baseOf(setting.schema)).element;
  if (Array.isArray(value) && element) {
    return value.map((item) => (typeof item === 'string' ? coerceText(element, item) : item));
  }
  return value;
}

function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  settings: readonly Setting[],
  provided: Map<string, ProvidedValue>,
): ConfigProblem[] {
  const problems = new Map<string, ConfigProblem>();
  for (const issue of issues) {
    const path = issue.path.map(String);
    const setting = owningSetting(path, settings);
    let problem: ConfigProblem;
    if (!setting) {
      problem = { key: path.join('.') || '(config)', reason: describeIssue(issue, undefined) };
    } else {
      const given = provided.get(setting.key);
      const missing = !given && issue.code === 'invalid_type';
      const rest = path.slice(setting.path.length);
      const where = rest
        .map((part) => (/^\d+$/.test(part) ? `item ${Number(part) + 1}: ` : `"${part}": `))
        .join('');
      problem = {
        key: setting.key,
        source: given?.source ?? setting.env,
        ...(given ? { value: setting.secret ? '***' : given.shown } : {}),
        reason: missing ? 'required, not set' : where + describeIssue(issue, schemaAt(setting.schema, rest)),
      };
    }
    problems.set(JSON.stringify(problem), problem);
  }
  return [...problems.values()];
}

/** The setting an issue path points into (an array item's issue belongs to the array). */
function owningSetting(path: readonly string[], settings: readonly Setting[]): Setting | undefined {
  return settings.find((s) => s.path.length <= path.length && s.path.every((part, i) => part === path[i]));
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (!(isPlainObject(value) && isPlainObject(node[last]))) node[last] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function showValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
