import { createRequire } from 'node:module';
import { compressionsAlgorithms } from '@platformatic/kafka';
import type { CompressionTypes } from 'kafkajs';
import type { KafkaCompression } from '../kafka/options.ts';

// kafkajs is a CommonJS module whose codec table Node cannot import by name; required here.
const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');

/** Kafka's compression codes (the attribute bits of a record batch), as kafkajs numbers them. */
const codes: Record<KafkaCompression, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

let registered = false;

/**
 * kafkajs ships gzip only; snappy, lz4 and zstd are plug-ins. The default bus's client
 * (@platformatic/kafka, already a dependency) has all three, Kafka-framed as the Java client
 * writes them: registered as kafkajs codecs, a kafkajs member reads batches any client
 * compressed (the default bus writes snappy), and a kafkajs producer writes them.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  for (const name of ['snappy', 'lz4', 'zstd'] as const) {
    const algorithm = compressionsAlgorithms[name];
    if (!algorithm.available) continue;
    const codecs = kafkajs.CompressionCodecs as Record<number, () => unknown>;
    codecs[codes[name]] = () => ({
      compress: async (encoder: { buffer: Buffer }) => algorithm.compressSync(encoder.buffer),
      decompress: async (buffer: Buffer) => algorithm.decompressSync(buffer),
    });
  }
}

/** The kafkajs compression type of a bus compression setting. */
export function compressionType(compression: KafkaCompression): CompressionTypes {
  return codes[compression] as CompressionTypes;
}
