import type {
  Bus,
  BusRecord,
  ConsumerOptions,
  GroupConsumer,
  PartitionBatch,
  TopicPartition,
} from '../../src/types.ts';

export interface RecordingOptions {
  /** Runs inside `onBatch` after the batch is recorded; the batch settles when it does. */
  onBatch?: (batch: PartitionBatch, member: RecordingMember) => Promise<void> | void;
  /** Runs inside `onRevoked`, e.g. to commit. */
  onRevoked?: (partitions: TopicPartition[], member: RecordingMember) => Promise<void> | void;
}

/** A group member that records every batch, assignment and revocation it sees. */
export class RecordingMember {
  readonly consumer: GroupConsumer;
  readonly batches: PartitionBatch[] = [];
  readonly assigned: TopicPartition[][] = [];
  readonly revoked: TopicPartition[][] = [];
  /** Times a batch arrived while another batch of the same partition was still in hand. */
  overlaps = 0;
  private readonly inHand = new Set<string>();
  private readonly options: RecordingOptions;

  private constructor(consumer: GroupConsumer, options: RecordingOptions) {
    this.consumer = consumer;
    this.options = options;
  }

  /** Creates a consumer on `bus` and starts it; resolves once it has joined its group. */
  static async start(
    bus: Bus,
    consumerOptions: ConsumerOptions,
    options: RecordingOptions = {},
  ): Promise<RecordingMember> {
    const member = new RecordingMember(bus.consumer(consumerOptions), options);
    await member.consumer.start({
      onBatch: (batch) => member.onBatch(batch),
      onAssigned: (partitions) => {
        member.assigned.push(partitions);
      },
      onRevoked: async (partitions) => {
        member.revoked.push(partitions);
        await options.onRevoked?.(partitions, member);
      },
    });
    return member;
  }

  get records(): BusRecord[] {
    return this.batches.flatMap((batch) => batch.records);
  }

  /** Offsets received from one partition, in arrival order. */
  offsets(topic: string, partition: number): number[] {
    return this.batches
      .filter((batch) => batch.topic === topic && batch.partition === partition)
      .flatMap((batch) => batch.records.map((record) => record.offset));
  }

  private async onBatch(batch: PartitionBatch): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`;
    if (this.inHand.has(key)) this.overlaps += 1;
    this.inHand.add(key);
    try {
      this.batches.push(batch);
      await this.options.onBatch?.(batch, this);
    } finally {
      this.inHand.delete(key);
    }
  }
}
