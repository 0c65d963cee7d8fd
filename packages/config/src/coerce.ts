import { type AnySchema, acceptsText, baseOf, defOf } from './schema-inspect.ts';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * Turns the text of an environment variable or CLI flag into the type the schema
 * expects. Text that does not fit is returned unchanged, so validation reports it
 * against the schema with the original value.
 */
export function coerceText(schema: AnySchema, text: string): unknown {
  if (acceptsText(schema)) return text;
  const base = baseOf(schema);
  const def = defOf(base);
  const trimmed = text.trim();
  switch (def.type) {
    case 'number':
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case 'bigint':
      return /^[+-]?\d+$/.test(trimmed) ? BigInt(trimmed) : text;
    case 'boolean':
      return toBoolean(trimmed) ?? text;
    case 'literal':
      return coerceLiteral(def.values ?? [], trimmed) ?? text;
    case 'array':
      return coerceList(def.element, trimmed);
    case 'object':
    case 'record':
    case 'tuple':
      return parseJson(trimmed) ?? text;
    case 'union':
      return coerceUnion(def.options ?? [], text);
    default:
      return text;
  }
}

function toBoolean(text: string): boolean | undefined {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

function coerceLiteral(values: readonly unknown[], text: string): unknown {
  for (const value of values) {
    if (typeof value === 'number' && NUMBER.test(text) && Number(text) === value) return value;
    if (typeof value === 'boolean' && toBoolean(text) === value) return value;
  }
  return undefined;
}

/** `a, b,c` → `['a', 'b', 'c']`; a JSON array (`[1, 2]`) is read as JSON. */
function coerceList(element: AnySchema | undefined, text: string): unknown {
  if (text.startsWith('[')) {
    const parsed = parseJson(text);
    if (Array.isArray(parsed)) return parsed;
  }
  if (text === '') return [];
  const items = text.split(',').map((item) => item.trim());
  return element ? items.map((item) => coerceText(element, item)) : items;
}

function coerceUnion(options: readonly AnySchema[], text: string): unknown {
  for (const option of options) {
    const value = coerceText(option, text);
    if (value !== text) return value;
  }
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
