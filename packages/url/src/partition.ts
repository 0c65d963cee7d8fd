import { InvalidPartitionCountError } from './errors.ts';
import { murmur2, murmur2Prefix } from './murmur2.ts';

const encoder = new TextEncoder();
// Keys are encoded into one reused buffer: partitioning runs for every link, and a
// fresh Uint8Array per key would be pure garbage. Oversized keys get their own buffer
// rather than growing the shared one for good.
const scratch = new Uint8Array(4096);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * murmur2 of the UTF-8 bytes of `key` as Java's `String.getBytes(UTF_8)` produces them:
 * Java writes `?` for a lone surrogate where TextEncoder writes U+FFFD.
 */
export function murmur2Utf8(key: string): number {
  const text = key.isWellFormed() ? key : key.replace(LONE_SURROGATE, '?');
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 > scratch.length) return murmur2(encoder.encode(text));
  const { written } = encoder.encodeInto(text, scratch);
  return murmur2Prefix(scratch, written);
}

/**
 * The partition Kafka's default partitioner picks for a keyed record:
 * `Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions`, so any Kafka client keying the
 * same way lands on the same partition. String keys are hashed as UTF-8.
 *
 * @throws InvalidPartitionCountError (`url.invalid_partition_count`) unless `partitions` is a positive 32-bit integer
 */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 0x7fffffff) {
    throw new InvalidPartitionCountError(partitions);
  }
  const hash = typeof key === 'string' ? murmur2Utf8(key) : murmur2(key);
  return (hash & 0x7fffffff) % partitions;
}
