import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runPython } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchivedFetch, WarcWriter } from '../src/index.ts';

const reader = fileURLToPath(new URL('../../testkit/python/read_warc.py', import.meta.url));

interface RecordLine {
  file: string;
  warcVersion: string;
  type: string;
  uri: string | null;
  id: string;
  concurrentTo: string | null;
  profile: string | null;
  truncated: string | null;
  payloadDigest: string | null;
  computedDigest: string;
  payloadLength: number;
  status?: string;
  headers?: [string, string][];
  requestLine?: string;
  fields?: string[];
}

function sha1Base32(bytes: Uint8Array): string {
  const digest = createHash('sha1').update(bytes).digest();
  // RFC 4648 base32, as WARC digests are written.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return `sha1:${out}`;
}

function fetchOf(url: string, overrides: Partial<ArchivedFetch> = {}): ArchivedFetch {
  const body = gzipSync(`<html><a href="/next">next</a> ${url}</html>`);
  return {
    url,
    requestedUrl: url,
    fetchedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    address: '127.0.0.2',
    request: {
      method: 'GET',
      target: new URL(url).pathname,
      headers: [
        ['Host', new URL(url).host],
        ['user-agent', 'kraul-test'],
      ],
    },
    status: 200,
    statusText: 'OK',
    headers: [
      ['Content-Type', 'text/html'],
      ['Content-Encoding', 'gzip'],
      ['Transfer-Encoding', 'chunked'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ],
    body,
    links: [`${new URL(url).origin}/next`],
    ...overrides,
  };
}

describe('WarcWriter, read back by Python warcio', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kraul-warc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes request, response, revisit and metadata records, gzipped per record, rolled by size', async () => {
    const writer = new WarcWriter({ dir, writer: 'test-1', maxFileBytes: 1_500 });
    const fetches = [
      fetchOf('http://site.test/a'),
      fetchOf('http://site.test/b', { requestedUrl: 'http://site.test/old-b' }),
      fetchOf('http://site.test/c', {
        status: 304,
        statusText: 'Not Modified',
        body: Buffer.alloc(0),
        links: [],
      }),
      fetchOf('http://site.test/big', { truncated: 'length' }),
    ];
    await Promise.all(fetches.map((fetch) => writer.write(fetch)));
    await writer.close();

    const names = (await readdir(dir)).sort();
    expect(names.length).toBeGreaterThan(1);
    for (const name of names) expect(name).toMatch(/^kraul-test-1-\d{17}-\d{5}\.warc\.gz$/);
    expect([...writer.files()].sort()).toEqual(names.map((name) => join(dir, name)));

    const out = await runPython(reader, writer.files());
    const records = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordLine);
    expect(new Set(records.map((record) => record.warcVersion))).toEqual(new Set(['WARC/1.1']));
    // Every file starts with its warcinfo record.
    expect(records.filter((record) => record.type === 'warcinfo')).toHaveLength(names.length);

    const byUri = (type: string, uri: string) =>
      records.find((record) => record.type === type && record.uri === uri);
    for (const fetch of fetches.filter((f) => f.status === 200)) {
      const response = byUri('response', fetch.url)!;
      expect(response.status).toBe('200');
      expect(response.payloadDigest).toBe(sha1Base32(fetch.body));
      expect(response.computedDigest).toBe(response.payloadDigest);
      // The body stays as received (gzip), its headers as sent, repeats apart; the body is
      // stored dechunked, so Transfer-Encoding is left out.
      expect(response.headers).toEqual([
        ['Content-Type', 'text/html'],
        ['Content-Encoding', 'gzip'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ]);
      const request = byUri('request', fetch.url)!;
      expect(request.concurrentTo).toBe(response.id);
      const metadata = byUri('metadata', fetch.url)!;
      expect(metadata.concurrentTo).toBe(response.id);
      expect(metadata.fields).toContain('outlink: http://site.test/next');
    }
    expect(byUri('metadata', 'http://site.test/b')!.fields).toContain('via: http://site.test/old-b');
    expect(byUri('response', 'http://site.test/big')!.truncated).toBe('length');

    const revisit = byUri('revisit', 'http://site.test/c')!;
    expect(revisit.status).toBe('304');
    expect(revisit.profile).toBe('http://netpreserve.org/warc/1.1/revisit/server-not-modified');
    expect(byUri('response', 'http://site.test/c')).toBeUndefined();
  });

  it('refuses a writer name that would make odd file names', () => {
    expect(() => new WarcWriter({ dir, writer: '../x' })).toThrow(RangeError);
  });
});
