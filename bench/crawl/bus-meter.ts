import { MemoryBus, type OutgoingRecord, type Producer, type TopicSpec } from '@kraul/bus';
import type { TopicTraffic } from './crawl-protocol.ts';

/**
 * Counts what the producers of every memory bus made from now on send, per topic, by
 * wrapping `MemoryBus.prototype.producer`: the embedded crawl builds its bus inside, and
 * the bus is the one seam every role's output crosses.
 */
export class BusMeter {
  readonly #buses = new Set<MemoryBus>();
  readonly #acknowledged = new Map<string, { records: number; valueBytes: number }>();
  readonly #restore: () => void;

  constructor() {
    const original = MemoryBus.prototype.producer;
    const meter = this;
    MemoryBus.prototype.producer = function (this: MemoryBus, options?: { clientId?: string }): Producer {
      meter.#buses.add(this);
      return meter.#wrap(original.call(this, options));
    };
    this.#restore = () => {
      MemoryBus.prototype.producer = original;
    };
  }

  /**
   * Records and value bytes per topic. Record counts come from the logs' end offsets (what
   * the bus really holds), byte counts from the acknowledged sends.
   */
  traffic(topics: readonly TopicSpec[]): TopicTraffic[] {
    return topics.map(({ name: topic, partitions }) => {
      let records = 0;
      for (const bus of this.#buses) {
        for (let partition = 0; partition < partitions; partition++) {
          records += bus.logRange(topic, partition).end;
        }
      }
      const acknowledged = this.#acknowledged.get(topic) ?? { records: 0, valueBytes: 0 };
      return { topic, records, acknowledged: acknowledged.records, valueBytes: acknowledged.valueBytes };
    });
  }

  /** Stops wrapping new producers. */
  close(): void {
    this.#restore();
  }

  #wrap(producer: Producer): Producer {
    const send = producer.send.bind(producer);
    producer.send = async (records: readonly OutgoingRecord[]) => {
      const metadata = await send(records);
      for (const record of records) {
        const entry = this.#acknowledged.get(record.topic) ?? { records: 0, valueBytes: 0 };
        entry.records += 1;
        entry.valueBytes += record.value.byteLength;
        this.#acknowledged.set(record.topic, entry);
      }
      return metadata;
    };
    return producer;
  }
}
