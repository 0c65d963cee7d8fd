import type { z } from 'zod';
import { KraulError } from './errors.ts';
import { MESSAGE_SCHEMAS, type Message, type MessageOf, type MessageType } from './messages/index.ts';
import type { TopicRole } from './topics.ts';

/** The envelope version this code writes, and the versions it reads. */
export const ENVELOPE_VERSION = 1;
const READABLE_VERSIONS: ReadonlySet<number> = new Set([1]);

/** Which message types may appear on which topic. */
export const TOPIC_MESSAGE_TYPES: Readonly<Record<TopicRole, readonly MessageType[]>> = {
  todo: ['fetch.request'],
  events: ['crawl.seeded', 'page.fetched', 'fetch.failed'],
  schedule: ['schedule.batch'],
  pages: ['page.document'],
  items: ['item'],
  jobs: ['job', 'frontier.progress'],
  dlq: ['dlq.record'],
};

/** Where a record came from, so a decode error names it. */
export interface RecordOrigin {
  topic?: string;
  partition?: number;
  offset?: number;
}

export class MessageDecodeError extends KraulError {
  /** Dotted path of the first offending field ("links.3.url"), when the error is about one. */
  readonly field: string | undefined;

  constructor(
    code: string,
    message: string,
    field: string | undefined,
    origin: RecordOrigin,
    cause?: unknown,
  ) {
    super(code, message, { ...origin, ...(field === undefined ? {} : { field }) }, { cause });
    this.field = field;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Writes a message in the versioned envelope: its own fields plus `v`. Encoding does not
 * validate: producers are kraul's own typed code, and validation belongs where untrusted
 * bytes come in (decode).
 */
export function encodeMessage(message: Message): Uint8Array {
  return encoder.encode(JSON.stringify({ v: ENVELOPE_VERSION, ...message }));
}

/**
 * Reads and validates a message. With `topic`, only the message types of that topic are
 * accepted. Every failure is a MessageDecodeError naming the field at fault.
 */
export function decodeMessage(bytes: Uint8Array, topic?: TopicRole, origin: RecordOrigin = {}): Message {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (error) {
    throw new MessageDecodeError('protocol.not_utf8', 'message is not valid UTF-8', undefined, origin, error);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MessageDecodeError(
      'protocol.invalid_json',
      `message is not JSON: ${(error as Error).message}`,
      undefined,
      origin,
      error,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MessageDecodeError('protocol.not_an_object', 'message is not a JSON object', undefined, origin);
  }
  const envelope = raw as Record<string, unknown>;
  const version = envelope['v'];
  if (typeof version !== 'number' || !READABLE_VERSIONS.has(version)) {
    throw new MessageDecodeError(
      'protocol.unsupported_version',
      `field v: envelope version ${JSON.stringify(version)} is not supported (this build reads ${[...READABLE_VERSIONS].join(', ')})`,
      'v',
      origin,
    );
  }
  const type = envelope['type'];
  // Own keys only: `in` would also accept inherited names such as "toString".
  if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_SCHEMAS, type)) {
    throw new MessageDecodeError(
      'protocol.unknown_type',
      `field type: unknown message type ${JSON.stringify(type)}`,
      'type',
      origin,
    );
  }
  const messageType = type as MessageType;
  if (topic !== undefined && !TOPIC_MESSAGE_TYPES[topic].includes(messageType)) {
    throw new MessageDecodeError(
      'protocol.wrong_topic',
      `field type: a ${messageType} message does not belong on the ${topic} topic (expected ${TOPIC_MESSAGE_TYPES[topic].join(' or ')})`,
      'type',
      origin,
    );
  }
  const { v: _version, ...body } = envelope;
  const result = (MESSAGE_SCHEMAS[messageType] as z.ZodType).safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    const more =
      result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : '';
    throw new MessageDecodeError(
      'protocol.invalid_field',
      `${messageType}: field ${field || '(root)'}: ${issue.message}${more}`,
      field || undefined,
      origin,
    );
  }
  return result.data as Message;
}

/**
 * A message a producer of this process handed over already decoded (an in-memory bus record's
 * `decoded`), when it is one that belongs on `topic`; otherwise undefined and the bytes must be
 * decoded. Trusted as typed code's output, like `encodeMessage`'s input: no schema check.
 */
export function trustedMessage(decoded: unknown, topic: TopicRole): Message | undefined {
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  const type = (decoded as { type?: unknown }).type;
  return typeof type === 'string' && (TOPIC_MESSAGE_TYPES[topic] as readonly string[]).includes(type)
    ? (decoded as Message)
    : undefined;
}

/** Decodes and checks the message is of one expected type. */
export function decodeAs<T extends MessageType>(
  type: T,
  bytes: Uint8Array,
  origin: RecordOrigin = {},
): MessageOf<T> {
  const message = decodeMessage(bytes, undefined, origin);
  if (message.type !== type) {
    throw new MessageDecodeError(
      'protocol.unexpected_type',
      `field type: expected a ${type} message, got ${message.type}`,
      'type',
      origin,
    );
  }
  return message as MessageOf<T>;
}
