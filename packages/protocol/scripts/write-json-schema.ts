// Writes packages/protocol/schemas/<type>.json, the JSON Schema of every message.
// Run with `npm run schemas`; a test fails when the committed files are out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageJsonSchemas } from '../src/json-schema.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [type, schema] of Object.entries(messageJsonSchemas())) {
  writeFileSync(join(dir, `${type}.json`), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(messageJsonSchemas()).length} schemas to packages/protocol/schemas`);
