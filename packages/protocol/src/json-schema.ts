import { z } from 'zod';
import { ENVELOPE_VERSION } from './codec.ts';
import { MESSAGE_SCHEMAS, type MessageType } from './messages/index.ts';

/**
 * JSON Schema (draft 2020-12) of each message as it travels, envelope included, for
 * producers and consumers in other languages.
 */
export function messageJsonSchemas(): Record<MessageType, Record<string, unknown>> {
  const out = {} as Record<MessageType, Record<string, unknown>>;
  for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS) as [MessageType, z.ZodObject][]) {
    const enveloped = schema.extend({ v: z.literal(ENVELOPE_VERSION) });
    out[type] = {
      $id: `urn:kraul:message:v${ENVELOPE_VERSION}:${type}`,
      title: `kraul ${type} message, envelope v${ENVELOPE_VERSION}`,
      ...z.toJSONSchema(enveloped, { io: 'input', target: 'draft-2020-12' }),
    };
  }
  return out;
}
