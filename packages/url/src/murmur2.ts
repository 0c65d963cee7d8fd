// Kafka's murmur2, bit for bit as org.apache.kafka.common.utils.Utils.murmur2 computes it
// (Java int arithmetic: Math.imul for multiplication, >>> for Java's >>>, | 0 to stay int32).

const SEED = 0x9747b28c | 0;
const M = 0x5bd1e995;
const R = 24;

/** murmur2 of the first `length` bytes of `data`. */
export function murmur2Prefix(data: Uint8Array, length: number): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java folds the 1-3 tail bytes in with a fall-through switch.
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

/** Kafka's murmur2 hash of `bytes`: a signed 32-bit integer, identical to the Java client's `Utils.murmur2`. */
export function murmur2(bytes: Uint8Array): number {
  return murmur2Prefix(bytes, bytes.length);
}
