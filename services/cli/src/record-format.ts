import type { BusRecord } from '@kraul/bus';
import { decodeMessage, KraulError, TOPIC_ROLES, type TopicNames, type TopicRole } from '@kraul/protocol';

const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

/** A topic given as a role (`events`) or a name (`acme.events`, `any.other.topic`). */
export interface ResolvedTopic {
  name: string;
  /** The kraul role, when the topic is one of the prefix's: decides which messages are valid. */
  role: TopicRole | undefined;
}

export function resolveTopic(topic: string, names: TopicNames): ResolvedTopic {
  if ((TOPIC_ROLES as readonly string[]).includes(topic)) {
    const role = topic as TopicRole;
    return { name: names[role], role };
  }
  const role = TOPIC_ROLES.find((candidate) => names[candidate] === topic);
  return { name: topic, role };
}

/** The value as UTF-8 text, cut after `maxBytes` bytes (0: no cut) with the number of bytes left out. */
export function valueText(value: Uint8Array, maxBytes: number): string {
  if (maxBytes <= 0 || value.length <= maxBytes) return lenientUtf8.decode(value);
  return `${lenientUtf8.decode(value.subarray(0, maxBytes))}…(+${value.length - maxBytes} bytes)`;
}

export interface RecordLineOptions {
  /** Cut values after this many bytes; 0 prints them whole. */
  maxBytes: number;
  /** Validate the record with the protocol and say what it is, or why it is invalid. */
  decode: boolean;
  /** The topic's kraul role, when known: only its message types are valid on it. */
  role: TopicRole | undefined;
}

/**
 * One line per record, like a Kafka console consumer: `topic:partition:offset key=… value=…`.
 * With decoding, `type=<message type>` for a valid record or `invalid=<code> error="…"`.
 */
export function formatRecordLine(record: BusRecord, options: RecordLineOptions): string {
  const parts = [`${record.topic}:${record.partition}:${record.offset}`, `key=${record.key ?? 'null'}`];
  if (options.decode) {
    try {
      parts.push(`type=${decodeMessage(record.value, options.role, record).type}`);
    } catch (error) {
      const code = error instanceof KraulError ? error.code : 'error';
      parts.push(`invalid=${code}`, `error=${JSON.stringify((error as Error).message)}`);
    }
  }
  parts.push(`value=${valueText(record.value, options.maxBytes)}`);
  return parts.join(' ');
}
