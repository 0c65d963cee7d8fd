import type { TopicPartition } from '../types.ts';

export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

/** A partition this member owns: whether it may deliver, and the batch in hand. */
export class OwnedPartition implements TopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  paused = false;
  /** onAssigned has settled: batches may be delivered. */
  ready = false;
  /** Being given up: no batch starts any more. */
  revoking = false;
  /** Held while the group rebalances: no batch starts until the new assignment is known. */
  held = false;
  /** One past the last offset delivered: where a partition this member keeps goes on after a rebalance. */
  nextOffset: number | undefined;
  #inHand: Promise<void> | undefined;

  constructor(tp: TopicPartition) {
    this.topic = tp.topic;
    this.partition = tp.partition;
    this.key = partitionKey(tp);
  }

  /** A batch may start now. */
  deliverable(): boolean {
    return this.ready && !this.revoking && !this.paused && !this.held;
  }

  /** Runs one delivery, remembered so a revocation can wait for it. */
  async deliver(work: () => Promise<void>): Promise<void> {
    const running = work();
    this.#inHand = running;
    try {
      await running;
    } finally {
      if (this.#inHand === running) this.#inHand = undefined;
    }
  }

  /** Stops deliveries and waits for the one in hand. */
  async revoke(): Promise<void> {
    this.revoking = true;
    await this.#inHand?.catch(() => {});
  }

  /** Stops deliveries until `release`, and waits for the one in hand. */
  async hold(): Promise<void> {
    this.held = true;
    await this.#inHand?.catch(() => {});
  }

  release(): void {
    this.held = false;
  }
}
