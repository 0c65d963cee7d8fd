import { partitionForKey } from '@kraul/url';
import { BusError } from './errors.ts';

// One counter for the whole process: unkeyed records carry no politeness constraint, so
// spreading them evenly is all that matters, and the counter needs no owner to close.
let nextUnkeyedPartition = 0;

/**
 * The partition a record without an explicit partition goes to. A keyed record lands
 * where Kafka's default (murmur2) partitioner puts it, so every bus and every Kafka client
 * keying the same way agrees; an unkeyed record goes round-robin.
 *
 * @throws BusError (`bus.invalid_partition_count`) unless `partitions` is a positive integer
 */
export function partitionFor(key: string | null, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 0x7fffffff) {
    throw new BusError('bus.invalid_partition_count', `cannot place a record on ${partitions} partitions`, {
      partitions,
    });
  }
  if (key !== null) return partitionForKey(key, partitions);
  const partition = nextUnkeyedPartition % partitions;
  nextUnkeyedPartition = (nextUnkeyedPartition + 1) % Number.MAX_SAFE_INTEGER;
  return partition;
}
