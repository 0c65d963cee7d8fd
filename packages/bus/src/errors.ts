import { KraulError } from '@kraul/protocol';
import type { OutgoingRecord } from './types.ts';

/** A batch the bus could not write. Carries the records so the caller can retry them. */
export class ProduceError extends KraulError {
  readonly records: readonly OutgoingRecord[];

  constructor(
    message: string,
    records: readonly OutgoingRecord[],
    context: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super('bus.produce_failed', message, { records: records.length, ...context }, { cause });
    this.records = records;
  }
}

/** A topic, group or partition the bus cannot work with (missing topic, unknown partition, closed client...). */
export class BusError extends KraulError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, context, { cause });
  }
}
