import { z } from 'zod';

export type AnySchema = z.core.$ZodType;

/** The parts of zod's internal definitions that settings need, read loosely. */
interface LooseDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  element?: AnySchema;
  shape?: Record<string, AnySchema>;
  options?: readonly AnySchema[];
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  defaultValue?: unknown;
  getter?: () => AnySchema;
  valueType?: AnySchema;
}

export function defOf(schema: AnySchema): LooseDef {
  return schema._zod.def as unknown as LooseDef;
}

/** Marks the schemas built by `duration()` and `byteSize()`, so tables can print `10s`, not 10000. */
export const settingKinds = z.registry<{ kind: 'duration' | 'byteSize' }>();

/** One layer down through wrappers (optional, default, pipe...), or undefined at the core type. */
function inner(schema: AnySchema): AnySchema | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType;
    case 'lazy':
      return def.getter?.();
    case 'pipe':
      // z.preprocess() is a pipe from a transform: the value's shape is the output side.
      return def.in && defOf(def.in).type === 'transform' ? def.out : def.in;
    default:
      return undefined;
  }
}

/** The core type under every wrapper: what a raw string must be turned into. */
export function baseOf(schema: AnySchema): AnySchema {
  let current = schema;
  for (let next = inner(current); next; next = inner(current)) current = next;
  return current;
}

export interface SettingInfo {
  /** Absent is fine: wrapped in optional, or has a default. */
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  description: string | undefined;
  kind: 'duration' | 'byteSize' | undefined;
}

export function inspectSetting(schema: AnySchema): SettingInfo {
  const info: SettingInfo = {
    optional: false,
    hasDefault: false,
    defaultValue: undefined,
    description: undefined,
    kind: undefined,
  };
  for (let current: AnySchema | undefined = schema; current; current = inner(current)) {
    const def = defOf(current);
    info.description ??= z.globalRegistry.get(current)?.description;
    info.kind ??= settingKinds.get(current)?.kind;
    if (def.type === 'optional') info.optional = true;
    if ((def.type === 'default' || def.type === 'prefault') && !info.hasDefault) {
      info.hasDefault = true;
      info.optional = true;
      info.defaultValue = def.defaultValue;
    }
  }
  return info;
}

/** Whether a raw string is already a valid input for this schema (string, enum, literal text). */
export function acceptsText(schema: AnySchema): boolean {
  const base = baseOf(schema);
  const def = defOf(base);
  switch (def.type) {
    case 'string':
    case 'template_literal':
    case 'enum':
      return true;
    case 'literal':
      return (def.values ?? []).some((v) => typeof v === 'string');
    case 'union':
      return (def.options ?? []).some(acceptsText);
    default:
      return false;
  }
}

/** The schema of a value inside another: an array item, an object field, a record value. */
export function schemaAt(schema: AnySchema, path: readonly (string | number)[]): AnySchema {
  let current = schema;
  for (const part of path) {
    const def = defOf(baseOf(current));
    const next =
      def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : def.shape?.[part];
    if (!next) break;
    current = next;
  }
  return current;
}
