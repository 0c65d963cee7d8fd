import type { z } from 'zod';
import { type AnySchema, baseOf, defOf, inspectSetting, type SettingInfo } from './schema-inspect.ts';
import { envName, flagName, isSecret } from './setting-names.ts';

/** One configurable value: a leaf of the config schema. */
export interface Setting {
  path: readonly string[];
  /** Dotted path, e.g. `kafka.brokers`: the flag key and the name used in messages. */
  key: string;
  env: string;
  flag: string;
  secret: boolean;
  schema: AnySchema;
  info: SettingInfo;
  /** Absent is fine: optional itself, has a default, or sits in an optional object. */
  optional: boolean;
}

/** A nested object of the schema, e.g. `kafka` or `kafka.tls`. */
export interface SettingGroup {
  path: readonly string[];
  optional: boolean;
}

export interface SettingTree {
  settings: Setting[];
  groups: SettingGroup[];
}

/** Flattens an object schema into its settings; nested objects become dotted paths. */
export function settingTree(schema: z.ZodObject, envPrefix: string): SettingTree {
  const tree: SettingTree = { settings: [], groups: [] };
  visit(schema, [], false, envPrefix, tree);
  return tree;
}

function visit(
  schema: AnySchema,
  path: readonly string[],
  parentOptional: boolean,
  envPrefix: string,
  tree: SettingTree,
): void {
  const shape = defOf(baseOf(schema)).shape ?? {};
  for (const [name, child] of Object.entries(shape)) {
    const childPath = [...path, name];
    const info = inspectSetting(child);
    const optional = parentOptional || info.optional;
    if (defOf(baseOf(child)).type === 'object') {
      // An object with a default (prefault) is filled from its fields' defaults, not optional.
      const groupOptional = parentOptional || (info.optional && !info.hasDefault);
      tree.groups.push({ path: childPath, optional: groupOptional });
      visit(child, childPath, groupOptional, envPrefix, tree);
      continue;
    }
    tree.settings.push({
      path: childPath,
      key: childPath.join('.'),
      env: envName(childPath, envPrefix),
      flag: flagName(childPath),
      secret: isSecret(childPath),
      schema: child,
      info,
      optional,
    });
  }
}
