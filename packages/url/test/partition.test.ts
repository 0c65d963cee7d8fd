import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidPartitionCountError, murmur2, murmur2Utf8, partitionForKey } from '../src/index.ts';

interface JavaVectors {
  partitionCounts: number[];
  keys: { key: string; utf8Length: number; murmur2: number; partitions: number[] }[];
  bytes: { hex: string; murmur2: number }[];
}

// Computed by org.apache.kafka.common.utils.Utils from the Java client (see GenMurmur2Vectors.java).
const vectors: JavaVectors = JSON.parse(
  readFileSync(new URL('./fixtures/murmur2-java.json', import.meta.url), 'utf8'),
);

/** The bytes Java's String.getBytes(UTF_8) produces: lone surrogates become '?'. */
function javaUtf8(key: string): Uint8Array {
  return new TextEncoder().encode(key.replace(/\p{Surrogate}/gu, '?'));
}

describe('murmur2 against the Kafka Java client', () => {
  it('has a vector set covering every tail length, IDNs, IPs and lone surrogates', () => {
    expect(vectors.keys.length).toBeGreaterThanOrEqual(700);
    expect(vectors.partitionCounts).toEqual([1, 3, 12, 64]);
    const tails = new Set(vectors.keys.map((v) => v.utf8Length % 4));
    expect(tails).toEqual(new Set([0, 1, 2, 3]));
    const keys = new Set(vectors.keys.map((v) => v.key));
    for (const key of ['', 'münchen.de', 'xn--mnchen-3ya.de', '例え.jp', '127.0.0.1', '::1', 'a\uDC00b']) {
      expect(keys.has(key)).toBe(true);
    }
  });

  it('matches Utils.murmur2 for every key', () => {
    for (const vector of vectors.keys) {
      expect(javaUtf8(vector.key).length, vector.key).toBe(vector.utf8Length);
      expect(murmur2Utf8(vector.key), vector.key).toBe(vector.murmur2);
      expect(murmur2(javaUtf8(vector.key)), vector.key).toBe(vector.murmur2);
    }
  });

  it('matches Utils.toPositive(murmur2) % n for every key', () => {
    for (const vector of vectors.keys) {
      vectors.partitionCounts.forEach((count, i) => {
        expect(partitionForKey(vector.key, count), `${vector.key} / ${count}`).toBe(vector.partitions[i]);
        expect(partitionForKey(javaUtf8(vector.key), count)).toBe(vector.partitions[i]);
      });
    }
  });

  it('matches Utils.murmur2 for raw bytes, including bytes >= 0x80', () => {
    expect(vectors.bytes.length).toBeGreaterThan(50);
    for (const vector of vectors.bytes) {
      expect(murmur2(Buffer.from(vector.hex, 'hex')), vector.hex).toBe(vector.murmur2);
    }
  });

  it('hashes only the view of a Uint8Array it is given', () => {
    const backing = new TextEncoder().encode('xxexample.comyy');
    expect(murmur2(backing.subarray(2, 13))).toBe(murmur2(new TextEncoder().encode('example.com')));
  });
});

describe('partitionForKey', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('rejects %s partitions', (count) => {
    expect(() => partitionForKey('example.com', count)).toThrow(InvalidPartitionCountError);
  });

  it('accepts up to 2^31 - 1 partitions and always lands in range', () => {
    expect(partitionForKey('example.com', 2 ** 31 - 1)).toBeGreaterThanOrEqual(0);
    for (const vector of vectors.keys) {
      const partition = partitionForKey(vector.key, 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
    }
  });

  it('carries the code and the count', () => {
    try {
      partitionForKey('k', 0);
    } catch (error) {
      expect(error).toMatchObject({ code: 'url.invalid_partition_count', context: { partitions: 0 } });
    }
    expect.assertions(1);
  });
});
