import { type Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import type { PartitionStream } from './partition-stream.ts';

export interface StartPositionsOptions {
  /** Where a partition without a committed offset starts. */
  startFrom: 'earliest' | 'latest';
  /** Pause between two attempts when the cluster does not answer. */
  retryDelayMs: number;
  /** False once the member stops: lookups in progress give up. */
  running: () => boolean;
}

/**
 * Where each newly owned partition starts: the group's committed offset, or the start
 * policy's end of the log where the group has none (Kafka's auto.offset.reset). A lookup
 * keeps asking until it has an answer or the partition is revoked.
 */
export class StartPositions {
  readonly #client: Consumer;
  readonly #options: StartPositionsOptions;

  constructor(client: Consumer, options: StartPositionsOptions) {
    this.#client = client;
    this.#options = options;
  }

  async lookUp(streams: readonly PartitionStream[]): Promise<void> {
    let pending = [...streams];
    while (pending.length > 0 && this.#options.running()) {
      try {
        const committed = await this.#client.listCommittedOffsets({ topics: groupByTopic(pending) });
        const withoutCommit: PartitionStream[] = [];
        for (const stream of pending) {
          const offset = committed.get(stream.topic)?.[stream.partition] ?? -1n;
          if (offset >= 0n) stream.startAt(offset);
          else withoutCommit.push(stream);
        }
        await this.#startFromPolicy(withoutCommit);
      } catch {
        // The coordinator moved or the cluster is busy: asked again below.
      }
      pending = pending.filter((stream) => !stream.revoked && stream.position === undefined);
      if (pending.length > 0) await this.#pause();
    }
  }

  /** The position fell out of the log (retention deleted those records): start over by the policy. */
  async reset(stream: PartitionStream): Promise<void> {
    stream.forgetPosition();
    while (!stream.revoked && stream.position === undefined && this.#options.running()) {
      try {
        await this.#startFromPolicy([stream]);
      } catch {
        // Asked again below.
      }
      if (stream.position === undefined) await this.#pause();
    }
  }

  async #startFromPolicy(streams: readonly PartitionStream[]): Promise<void> {
    if (streams.length === 0) return;
    const byTopic = groupByTopic(streams);
    const offsets = await this.#client.listOffsets({
      topics: byTopic.map(({ topic }) => topic),
      partitions: Object.fromEntries(byTopic.map(({ topic, partitions }) => [topic, partitions])),
      timestamp:
        this.#options.startFrom === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
    for (const stream of streams) {
      const offset = offsets.get(stream.topic)?.[stream.partition];
      if (offset !== undefined && offset >= 0n) stream.startAt(offset);
    }
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.#options.retryDelayMs));
  }
}

function groupByTopic(streams: readonly PartitionStream[]): Array<{ topic: string; partitions: number[] }> {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of streams) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
