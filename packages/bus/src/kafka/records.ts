import { IS_CONTROL, type RecordsBatch } from '@platformatic/kafka';
import type { BusRecord } from '../types.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A key as Java's `String.getBytes(UTF_8)` writes it (`?` for a lone surrogate), the same
 * bytes the partitioner hashed, so a key read back hashes to the partition it is on.
 */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key.isWellFormed() ? key : key.replace(LONE_SURROGATE, '?'), 'utf8');
}

export interface DecodedBatches {
  records: BusRecord[];
  /** The offset to fetch next: one past the last offset of the last batch, control batches included. */
  nextOffset: bigint | undefined;
}

/**
 * Turns fetched record batches of one partition into bus records. Values stay bytes: decoding
 * is the protocol's job. Records before `fromOffset` (a compressed batch starts where it
 * starts, not where the fetch asked) and transaction markers are left out.
 */
export function decodeBatches(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  fromOffset: bigint,
): DecodedBatches {
  const records: BusRecord[] = [];
  let nextOffset: bigint | undefined;
  for (const batch of batches) {
    nextOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if (batch.attributes & IS_CONTROL) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < fromOffset) continue;
      const headers: Record<string, string> = {};
      for (const [name, value] of record.headers) {
        if (name !== null) headers[name.toString('utf8')] = value === null ? '' : value.toString('utf8');
      }
      records.push({
        topic,
        partition,
        offset: Number(offset),
        key: record.key === null ? null : record.key.toString('utf8'),
        value:
          record.value === null
            ? new Uint8Array(0)
            : new Uint8Array(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        headers,
        timestamp: Number(batch.firstTimestamp + record.timestampDelta),
      });
    }
  }
  return { records, nextOffset };
}
