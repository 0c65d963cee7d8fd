import type { BusRecord, PartitionBatch, TopicPartition } from '../types.ts';

export interface PartitionStreamOptions {
  /** Upper bound of records per delivered batch. */
  maxBatchRecords: number;
  /** Hands one batch to the application; resolves when it settled. */
  deliver: (batch: PartitionBatch) => Promise<void>;
  /** Called when the stream may want records again (its buffer drained or it was resumed). */
  wantsRecords: () => void;
}

/**
 * One owned partition between the fetcher and the application: the next offset to fetch, at
 * most one fetched chunk waiting (the fetcher asks for more only once it is handed out, so a
 * slow or paused partition never piles records up), and sequential delivery in offset order.
 */
export class PartitionStream implements TopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  #position: bigint | undefined;
  readonly #options: PartitionStreamOptions;
  #buffer: BusRecord[] = [];
  #ready = false;
  #paused = false;
  #revoked = false;
  #delivering: Promise<void> | undefined;

  constructor(tp: TopicPartition, options: PartitionStreamOptions) {
    this.topic = tp.topic;
    this.partition = tp.partition;
    this.key = partitionKey(tp);
    this.#options = options;
  }

  /** The next offset to fetch; undefined until the start position is known. */
  get position(): bigint | undefined {
    return this.#position;
  }

  get revoked(): boolean {
    return this.#revoked;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Whether the fetcher should ask the broker for this partition now. */
  wantsFetch(): boolean {
    return !this.#revoked && !this.#paused && this.#position !== undefined && this.#buffer.length === 0;
  }

  /**
   * Whether the stream holds a fetched chunk waiting for its turn (the one before it is being
   * handled): it wants records again as soon as that is handed out, with no new data needed
   * on the broker. (A paused stream may stay paused for long: it does not count.)
   */
  holdsChunk(): boolean {
    return !this.#revoked && !this.#paused && this.#buffer.length > 0;
  }

  /** Sets where fetching starts (committed offset, or the reset policy's end of the log). */
  startAt(position: bigint): void {
    if (this.#revoked) return;
    this.#position = position;
    this.#options.wantsRecords();
  }

  /** The position is no longer valid: no fetch until `startAt` sets a new one. */
  forgetPosition(): void {
    this.#position = undefined;
  }

  /** `onAssigned` has settled: deliveries may begin. */
  markReady(): void {
    this.#ready = true;
    this.#pump();
  }

  /**
   * Takes fetched records asked for at `fetchedFrom`. A chunk fetched before the position
   * moved (a reset, or a fetch that overlapped a revocation) is stale and dropped.
   */
  accept(records: BusRecord[], nextOffset: bigint | undefined, fetchedFrom: bigint): void {
    if (this.#revoked || this.#position !== fetchedFrom || nextOffset === undefined) return;
    this.#position = nextOffset;
    for (const record of records) this.#buffer.push(record);
    if (this.#buffer.length === 0) {
      // Only transaction markers: nothing to deliver, fetch on.
      this.#options.wantsRecords();
      return;
    }
    this.#pump();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pump();
    this.#options.wantsRecords();
  }

  /** Stops delivery for good and resolves once the batch in hand (if any) has settled. */
  revoke(): Promise<void> {
    this.#revoked = true;
    this.#buffer = [];
    return this.#delivering ?? Promise.resolve();
  }

  #pump(): void {
    if (this.#delivering || !this.#ready || this.#revoked || this.#paused || this.#buffer.length === 0)
      return;
    this.#delivering = this.#deliverBuffered().finally(() => {
      this.#delivering = undefined;
      // Records accepted between the loop's last look and now.
      this.#pump();
    });
  }

  async #deliverBuffered(): Promise<void> {
    while (!this.#revoked && !this.#paused && this.#buffer.length > 0) {
      const records = this.#buffer.splice(0, this.#options.maxBatchRecords);
      // Fetch the next chunk while this one is handled.
      if (this.#buffer.length === 0) this.#options.wantsRecords();
      await this.#options.deliver({ topic: this.topic, partition: this.partition, records });
    }
  }
}

export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
