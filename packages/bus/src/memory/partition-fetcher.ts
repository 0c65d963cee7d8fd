import type { PartitionBatch } from '../types.ts';
import type { PartitionLog } from './partition-log.ts';

/**
 * Delivers one owned partition to a member: in offset order, one batch at a time (the
 * next only after the previous handler settled), never while paused, and without polling:
 * an idle fetcher sleeps until the log wakes it. Every step is its own macrotask, so a
 * long backlog never starves the event loop's I/O.
 */
export class PartitionFetcher {
  readonly log: PartitionLog;
  private readonly deliver: (batch: PartitionBatch) => Promise<void>;
  private readonly maxBatchRecords: number;
  private position = 0;
  private running = false;
  private paused = false;
  private inFlight: Promise<void> | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private sleeping = false;

  constructor(log: PartitionLog, deliver: (batch: PartitionBatch) => Promise<void>, maxBatchRecords: number) {
    this.log = log;
    this.deliver = deliver;
    this.maxBatchRecords = maxBatchRecords;
  }

  get topic(): string {
    return this.log.topic;
  }

  get partition(): number {
    return this.log.partition;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(position: number): void {
    this.position = position;
    this.running = true;
    this.schedule();
  }

  /** Takes effect after the batch in hand: no further batch starts until `resume`. */
  pause(): void {
    this.paused = true;
    this.cancelPending();
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Stops delivering; resolves once the batch in hand (if any) has settled. */
  stop(): Promise<void> {
    this.running = false;
    this.cancelPending();
    return this.inFlight ?? Promise.resolve();
  }

  private readonly wake = (): void => {
    this.sleeping = false;
    this.schedule();
  };

  private schedule(): void {
    if (!this.running || this.paused || this.inFlight !== undefined || this.scheduled !== undefined) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.fetch();
    });
  }

  private fetch(): void {
    if (!this.running || this.paused || this.inFlight !== undefined) return;
    const records = this.log.read(this.position, this.maxBatchRecords);
    if (records.length === 0) {
      if (!this.sleeping) {
        this.sleeping = true;
        this.log.waitForAppend(this.wake);
      }
      return;
    }
    this.position = records.at(-1)!.offset + 1;
    this.inFlight = this.deliver({ topic: this.log.topic, partition: this.log.partition, records }).finally(
      () => {
        this.inFlight = undefined;
        this.schedule();
      },
    );
  }

  private cancelPending(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.sleeping) {
      this.sleeping = false;
      this.log.cancelWait(this.wake);
    }
  }
}
