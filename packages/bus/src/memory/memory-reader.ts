import { randomUUID } from 'node:crypto';
import type { PartitionBatch, ReaderOptions, TopicReader } from '../types.ts';
import type { MemoryBroker } from './broker.ts';
import { MemoryGroupConsumer } from './memory-consumer.ts';

/**
 * The memory bus's whole-topic reader: a member alone in a private group that is deleted on
 * close, which is indistinguishable from manual assignment in one process.
 */
export class MemoryTopicReader implements TopicReader {
  readonly #broker: MemoryBroker;
  readonly #consumer: MemoryGroupConsumer;
  readonly #onClosed: (reader: MemoryTopicReader) => void;
  #closing: Promise<void> | undefined;

  constructor(broker: MemoryBroker, options: ReaderOptions, onClosed: (reader: MemoryTopicReader) => void) {
    this.#broker = broker;
    this.#onClosed = onClosed;
    this.#consumer = new MemoryGroupConsumer(
      broker,
      {
        groupId: `__reader-${randomUUID()}`,
        topics: [options.topic],
        startFrom: 'earliest',
        ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
      },
      () => {},
    );
  }

  async start(onBatch: (batch: PartitionBatch) => Promise<void> | void): Promise<void> {
    await this.#consumer.start({
      onBatch: async (batch) => {
        try {
          await onBatch(batch);
        } catch {
          // The reader's handler owns its errors; a throw must not stop the partition.
        }
      },
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#consumer.close();
        if (!this.#broker.closed) this.#broker.deleteGroup(this.#consumer.groupId);
      } finally {
        this.#onClosed(this);
      }
    })();
    return this.#closing;
  }
}
