import { describe, expect, it } from 'vitest';
import {
  deadLetterFor,
  decodeAs,
  decodeMessage,
  encodeMessage,
  type FetchRequest,
  groupId,
  job,
  MessageDecodeError,
  TOPIC_MESSAGE_TYPES,
  topicNames,
} from '../src/index.ts';
import { sampleMessages } from './fixtures.ts';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function decodeError(fn: () => unknown): MessageDecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MessageDecodeError);
    return error as MessageDecodeError;
  }
  throw new Error('expected a MessageDecodeError');
}

describe('message codec', () => {
  it.each(sampleMessages.map((m) => [m.type, m] as const))('round-trips a %s message', (_type, message) => {
    const encoded = encodeMessage(message);
    const text = new TextDecoder().decode(encoded);
    expect(JSON.parse(text).v).toBe(1);
    expect(decodeMessage(encoded)).toEqual(message);
  });

  it('every topic accepts only its own message types', () => {
    for (const message of sampleMessages) {
      for (const [topic, types] of Object.entries(TOPIC_MESSAGE_TYPES)) {
        const decode = () => decodeMessage(encodeMessage(message), topic as keyof typeof TOPIC_MESSAGE_TYPES);
        if (types.includes(message.type)) expect(decode()).toEqual(message);
        else expect(decodeError(decode).code).toBe('protocol.wrong_topic');
      }
    }
  });

  it('names the offending field of an invalid message, with the record origin', () => {
    const page = sampleMessages.find((m) => m.type === 'page.fetched')!;
    const broken = { v: 1, ...page, links: [{ url: 'https://example.com/x' }, { url: 42 }] };
    const error = decodeError(() =>
      decodeMessage(bytes(broken), 'events', { topic: 'kraul.events', partition: 2, offset: 7 }),
    );
    expect(error.code).toBe('protocol.invalid_field');
    expect(error.field).toBe('links.1.url');
    expect(error.message).toMatch(/^page\.fetched: field links\.1\.url: /);
    expect(error.context).toMatchObject({
      topic: 'kraul.events',
      partition: 2,
      offset: 7,
      field: 'links.1.url',
    });
  });

  it('rejects a missing required field by name', () => {
    const { fp: _fp, ...request } = sampleMessages[0] as FetchRequest;
    const error = decodeError(() => decodeMessage(bytes({ v: 1, ...request })));
    expect(error.field).toBe('fp');
  });

  it('rejects bad fingerprints, job ids and depths', () => {
    const request = sampleMessages[0]!;
    expect(decodeError(() => decodeMessage(bytes({ v: 1, ...request, fp: 'XYZ' }))).field).toBe('fp');
    expect(decodeError(() => decodeMessage(bytes({ v: 1, ...request, job: '../etc' }))).field).toBe('job');
    expect(decodeError(() => decodeMessage(bytes({ v: 1, ...request, depth: -1 }))).field).toBe('depth');
  });

  it('classifies bytes that are not a message at all', () => {
    expect(decodeError(() => decodeMessage(new Uint8Array([0xff, 0xfe, 0x00]))).code).toBe(
      'protocol.not_utf8',
    );
    expect(decodeError(() => decodeMessage(bytes('just a string'))).code).toBe('protocol.not_an_object');
    expect(decodeError(() => decodeMessage(new TextEncoder().encode('{"v":1,'))).code).toBe(
      'protocol.invalid_json',
    );
    expect(decodeError(() => decodeMessage(bytes({ type: 'job' }))).code).toBe(
      'protocol.unsupported_version',
    );
    expect(decodeError(() => decodeMessage(bytes({ v: 2, type: 'job' }))).code).toBe(
      'protocol.unsupported_version',
    );
    expect(decodeError(() => decodeMessage(bytes({ v: 1, type: 'page.exploded' }))).code).toBe(
      'protocol.unknown_type',
    );
    // Names every object inherits are no message types either.
    for (const type of ['toString', 'constructor', '__proto__']) {
      expect(decodeError(() => decodeMessage(bytes({ v: 1, type }))).code).toBe('protocol.unknown_type');
    }
  });

  it('decodeAs checks the message type', () => {
    const encoded = encodeMessage(sampleMessages[0]!);
    expect(decodeAs('fetch.request', encoded).url).toBe('https://example.com/a');
    expect(decodeError(() => decodeAs('job', encoded)).code).toBe('protocol.unexpected_type');
  });

  it('fills job defaults so a minimal job is complete', () => {
    const parsed = job.parse({
      type: 'job',
      id: 'j1',
      seeds: ['https://example.com/'],
      createdAt: 1,
      updatedAt: 1,
    });
    expect(parsed.state).toBe('active');
    expect(parsed.settings.politeness).toEqual({
      delayMs: 1_000,
      concurrencyPerHost: 1,
      respectRobots: true,
      maxCrawlDelayMs: 60_000,
    });
    expect(parsed.settings.scope.mode).toBe('domain');
    expect(parsed.settings.safety.allowPrivateNetworks).toBe(false);
  });
});

describe('dead letters', () => {
  it('keeps a UTF-8 value as text and the error with its field', () => {
    const value = bytes({ v: 1, type: 'fetch.request' });
    let error: unknown;
    try {
      decodeMessage(value, 'todo', { topic: 'kraul.todo', partition: 1, offset: 9 });
    } catch (e) {
      error = e;
    }
    const letter = deadLetterFor(
      { topic: 'kraul.todo', partition: 1, offset: 9, key: 'example.com', value },
      error,
      'kraul-crawlers',
      5,
    );
    expect(letter).toMatchObject({
      type: 'dlq.record',
      topic: 'kraul.todo',
      partition: 1,
      offset: 9,
      valueEncoding: 'utf8',
      value: '{"v":1,"type":"fetch.request"}',
      error: { code: 'protocol.invalid_field', field: 'job' },
      consumerGroup: 'kraul-crawlers',
      failedAt: 5,
    });
    expect(decodeMessage(encodeMessage(letter), 'dlq')).toEqual(letter);
  });

  it('base64-encodes a value that is not UTF-8', () => {
    const letter = deadLetterFor(
      { topic: 't', partition: 0, offset: 0, key: null, value: new Uint8Array([0xff, 0x00]) },
      new Error('boom'),
      'g',
    );
    expect(letter.valueEncoding).toBe('base64');
    expect(Buffer.from(letter.value, 'base64')).toEqual(Buffer.from([0xff, 0x00]));
    expect(letter.error.code).toBe('error');
  });
});

describe('topic names', () => {
  it('carry the prefix', () => {
    expect(topicNames('acme')).toEqual({
      todo: 'acme.todo',
      events: 'acme.events',
      schedule: 'acme.schedule',
      pages: 'acme.pages',
      items: 'acme.items',
      jobs: 'acme.jobs',
      dlq: 'acme.dlq',
    });
    expect(topicNames().todo).toBe('kraul.todo');
    expect(groupId('acme', 'crawlers')).toBe('acme-crawlers');
  });

  it('refuse a prefix Kafka would not accept', () => {
    expect(() => topicNames('bad prefix')).toThrow(/topic prefix "bad prefix" is not valid/);
    expect(() => topicNames('')).toThrow(RangeError);
  });
});
