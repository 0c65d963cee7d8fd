import type { Bus, ConsumerOptions } from '../../src/types.ts';

/**
 * What the contract suite needs from an implementation beyond the Bus itself:
 * a way to run a group member that can die without saying goodbye.
 */
export interface ContractHarness {
  /** A fresh bus connected to the implementation under test. */
  makeBus(): Promise<Bus>;
  /** Topic names unique to one test, so tests never share state. */
  uniqueTopic(label: string): string;
  /**
   * Starts a group member outside the test's own control flow (a child process
   * on Kafka) that consumes, records what it received and never commits.
   * The suite passes the bus the test works on: an in-process implementation starts the
   * member on it (it is the only place the group exists); one reached over the network may ignore it.
   */
  startDoomedMember(options: ConsumerOptions, bus?: Bus): Promise<DoomedMember>;
  /** Session settings short enough for fast rebalance tests. */
  fastSession: Pick<ConsumerOptions, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxWaitMs'>;
}

export interface DoomedMember {
  /** Offsets per "topic:partition" the member has received so far. */
  received(): Promise<Map<string, number[]>>;
  /** Partitions currently assigned to it ("topic:partition"). */
  assigned(): Promise<string[]>;
  /** Dies at once: no revoke, no commit, no leave-group (SIGKILL on Kafka). */
  kill(): Promise<void>;
}
