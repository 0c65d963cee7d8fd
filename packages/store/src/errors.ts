import { KraulError } from '@kraul/protocol';

/**
 * A frontier store that cannot serve: a file written by a newer kraul, a file that holds
 * another partition or rows no kraul wrote, a closed store, or a transaction misused. Data conditions (an unknown
 * fingerprint, a duplicate report) are not errors: they are answered by return values.
 */
export class StoreError extends KraulError {}

export const STORE_ERROR_CODES = {
  schemaTooNew: 'store.schema_too_new',
  partitionMismatch: 'store.partition_mismatch',
  closed: 'store.closed',
  asyncTransaction: 'store.async_transaction',
  invalidRows: 'store.invalid_rows',
} as const;
