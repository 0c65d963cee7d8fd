import type { BusRecord } from '@kraul/bus';
import { encodeMessage, topicNames } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { formatRecordLine, resolveTopic, valueText } from '../src/record-format.ts';

const encoder = new TextEncoder();

function record(value: Uint8Array, key: string | null = 'example.com'): BusRecord {
  return { topic: 'acme.events', partition: 2, offset: 41, key, value, headers: {}, timestamp: 0 };
}

const seeded = encodeMessage({
  type: 'crawl.seeded',
  job: 'docs',
  urls: [{ url: 'https://example.com/' }],
  source: 'cli',
});

describe('tail lines', () => {
  it('look like a console consumer: topic:partition:offset key=… value=…', () => {
    expect(
      formatRecordLine(record(encoder.encode('hello')), { maxBytes: 0, decode: false, role: 'events' }),
    ).toBe('acme.events:2:41 key=example.com value=hello');
    expect(
      formatRecordLine(record(encoder.encode('x'), null), { maxBytes: 0, decode: false, role: undefined }),
    ).toBe('acme.events:2:41 key=null value=x');
  });

  it('name the message type of a valid record when decoding', () => {
    const line = formatRecordLine(record(seeded), { maxBytes: 0, decode: true, role: 'events' });
    expect(line).toBe(
      `acme.events:2:41 key=example.com type=crawl.seeded value=${new TextDecoder().decode(seeded)}`,
    );
  });

  it('say why a record is invalid when decoding', () => {
    const garbage = formatRecordLine(record(encoder.encode('{oops')), {
      maxBytes: 0,
      decode: true,
      role: 'events',
    });
    expect(garbage).toMatch(
      /^acme\.events:2:41 key=example\.com invalid=protocol\.invalid_json error="message is not JSON: .*" value=\{oops$/,
    );
    const misplaced = formatRecordLine(record(seeded), { maxBytes: 0, decode: true, role: 'pages' });
    expect(misplaced).toContain('invalid=protocol.wrong_topic');
  });

  it('cut long values after --max-bytes and say how much is left out', () => {
    expect(valueText(encoder.encode('abcdefgh'), 3)).toBe('abc…(+5 bytes)');
    expect(valueText(encoder.encode('abc'), 3)).toBe('abc');
    expect(valueText(encoder.encode('abcdefgh'), 0)).toBe('abcdefgh');
  });
});

describe('resolveTopic', () => {
  const names = topicNames('acme');

  it('reads a role as the topic of the prefix', () => {
    expect(resolveTopic('events', names)).toEqual({ name: 'acme.events', role: 'events' });
  });

  it('knows the role of a full kraul topic name, and none of other topics', () => {
    expect(resolveTopic('acme.dlq', names)).toEqual({ name: 'acme.dlq', role: 'dlq' });
    expect(resolveTopic('other.events', names)).toEqual({ name: 'other.events', role: undefined });
  });
});
