import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_SCHEMAS, messageJsonSchemas } from '../src/index.ts';

const schemaDir = join(import.meta.dirname, '..', 'schemas');

describe('JSON Schema export', () => {
  const schemas = messageJsonSchemas();

  it('covers every message type and includes the envelope version', () => {
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(MESSAGE_SCHEMAS).sort());
    for (const schema of Object.values(schemas)) {
      const properties = schema['properties'] as Record<string, { const?: unknown }>;
      expect(properties['v']?.const).toBe(1);
      expect(schema['required']).toContain('type');
    }
  });

  it('matches the committed files (run `npm run schemas` after changing a message)', () => {
    for (const [type, schema] of Object.entries(schemas)) {
      const committed = JSON.parse(readFileSync(join(schemaDir, `${type}.json`), 'utf8'));
      expect(committed, `${type}.json is out of date`).toEqual(schema);
    }
  });
});
