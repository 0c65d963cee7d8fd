import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { BusRecord } from '../types.ts';

/** A fetched kafkajs message as a bus record. Values stay bytes: decoding is the protocol's job. */
export function toBusRecord(topic: string, partition: number, message: KafkaMessage): BusRecord {
  const value = message.value;
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key === null ? null : message.key.toString('utf8'),
    value:
      value === null ? new Uint8Array(0) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    headers: headersOf(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/** Headers as strings; of a header written twice, the last value wins (as with the default bus). */
function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    result[name] = last === undefined ? '' : last.toString();
  }
  return result;
}
