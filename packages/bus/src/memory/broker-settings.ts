import type { BusError } from '../errors.ts';

/** How the in-memory broker behaves: what its topics and consumer groups read. */
export interface BrokerSettings {
  maxMessageBytes: number;
  trimCommitted: boolean;
  onHandlerError: (error: BusError) => void;
}
