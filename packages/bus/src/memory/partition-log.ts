import type { BusRecord } from '../types.ts';

/** A record as the memory bus keeps it; topic, partition and offset follow from where it sits. */
export interface StoredRecord {
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string>;
  timestamp: number;
  /** The producer's decoded value, when it gave one (`OutgoingRecord.decoded`). */
  decoded?: unknown;
}

/**
 * Records per segment. Trimming drops whole segments, so the log never shifts an array of
 * records; finding a record is one division because every segment but the last is full.
 */
const SEGMENT_RECORDS = 1024;

/**
 * One partition's append-only log. Offsets start at 0 and never repeat; trimming removes
 * old records but keeps their offsets used, as Kafka's log start offset does.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private readonly segments: StoredRecord[][] = [];
  /** Segment number (offset / SEGMENT_RECORDS) of `segments[0]`. */
  private firstSegment = 0;
  private end = 0;
  private waiters = new Set<() => void>();

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** The lowest offset still held (equal to `endOffset` when the log holds nothing). */
  get startOffset(): number {
    return Math.min(this.firstSegment * SEGMENT_RECORDS, this.end);
  }

  /** The offset the next appended record gets. */
  get endOffset(): number {
    return this.end;
  }

  /** Appends a record and returns its offset. Waiters are woken by `notifyAppended`, once per batch. */
  append(record: StoredRecord): number {
    const offset = this.end;
    const index = Math.floor(offset / SEGMENT_RECORDS) - this.firstSegment;
    let segment = this.segments[index];
    if (segment === undefined) {
      segment = [];
      this.segments.push(segment);
    }
    segment.push(record);
    this.end = offset + 1;
    return offset;
  }

  /** Up to `max` records from `from` on (from the start offset when `from` was trimmed away). */
  read(from: number, max: number): BusRecord[] {
    const records: BusRecord[] = [];
    let offset = Math.max(from, this.startOffset);
    const last = Math.min(this.end, offset + max);
    while (offset < last) {
      const segmentNumber = Math.floor(offset / SEGMENT_RECORDS);
      const segment = this.segments[segmentNumber - this.firstSegment]!;
      const segmentBase = segmentNumber * SEGMENT_RECORDS;
      const stop = Math.min(last, segmentBase + segment.length);
      for (; offset < stop; offset += 1) {
        const stored = segment[offset - segmentBase]!;
        records.push({
          topic: this.topic,
          partition: this.partition,
          offset,
          key: stored.key,
          value: stored.value,
          // A copy per delivery: one group's handler editing headers must not change what another group sees.
          headers: { ...stored.headers },
          timestamp: stored.timestamp,
          ...(stored.decoded === undefined ? {} : { decoded: stored.decoded }),
        });
      }
    }
    return records;
  }

  /** Drops the full segments that lie wholly below `offset`; a partly covered segment stays. */
  trimBefore(offset: number): void {
    let drop = 0;
    while (drop < this.segments.length) {
      const segment = this.segments[drop]!;
      const segmentEnd = (this.firstSegment + drop) * SEGMENT_RECORDS + segment.length;
      // A segment not yet full is still being appended to.
      if (segment.length < SEGMENT_RECORDS || segmentEnd > offset) break;
      drop += 1;
    }
    if (drop === 0) return;
    this.segments.splice(0, drop);
    this.firstSegment += drop;
  }

  /** Calls `wake` once, after the next batch of appends. */
  waitForAppend(wake: () => void): void {
    this.waiters.add(wake);
  }

  cancelWait(wake: () => void): void {
    this.waiters.delete(wake);
  }

  notifyAppended(): void {
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }
}
