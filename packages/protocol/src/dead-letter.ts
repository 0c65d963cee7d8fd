import type { RecordOrigin } from './codec.ts';
import { KraulError } from './errors.ts';
import type { DeadLetter } from './messages/dlq.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw record that failed, as a consumer holds it. */
export interface FailedRecord extends Required<RecordOrigin> {
  key: string | null;
  value: Uint8Array;
}

/** Builds the dead-letter message for a record a consumer could not handle. */
export function deadLetterFor(
  record: FailedRecord,
  error: unknown,
  consumerGroup: string,
  now = Date.now(),
): DeadLetter {
  let value: string;
  let valueEncoding: DeadLetter['valueEncoding'];
  try {
    value = strictUtf8.decode(record.value);
    valueEncoding = 'utf8';
  } catch {
    value = Buffer.from(record.value).toString('base64');
    valueEncoding = 'base64';
  }
  const field =
    error instanceof KraulError && typeof error.context['field'] === 'string'
      ? error.context['field']
      : undefined;
  return {
    type: 'dlq.record',
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value,
    valueEncoding,
    error: {
      code: error instanceof KraulError ? error.code : 'error',
      message: error instanceof Error ? error.message : String(error),
      ...(field === undefined ? {} : { field }),
    },
    consumerGroup,
    failedAt: now,
  };
}
