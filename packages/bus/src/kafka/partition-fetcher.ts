import {
  type ClusterMetadata,
  type ConnectionPool,
  type Consumer,
  type fetchV17,
  findErrorBy,
} from '@platformatic/kafka';
import type { PartitionStream } from './partition-stream.ts';
import { decodeBatches } from './records.ts';

/** Kafka's error code OFFSET_OUT_OF_RANGE. */
const offsetOutOfRange = 1;

/**
 * How long a fetch waits on the broker while a partition of this member is out of it only for
 * the moment (a chunk of it waits to be handled). Short enough not to add up over a crawl's
 * hops through the topics; a quiet member still waits `maxWaitMs`.
 */
const BUSY_FETCH_WAIT_MS = 50;

export interface PartitionFetcherOptions {
  /** Longest a fetch waits on the broker for new records. */
  maxWaitMs: number;
  /** Upper bound of one fetch response. */
  maxBytes: number;
  /** Upper bound of one partition's chunk in a fetch response: a stream's whole buffer. */
  maxBytesPerPartition: number;
  /** Pause after a failed fetch. */
  retryDelayMs: number;
  /** The streams to consider (owned partitions). */
  streams: () => Iterable<PartitionStream>;
  /** A partition's fetch position is out of the log's range (retention removed it): reset it. */
  onOutOfRange: (stream: PartitionStream) => void;
}

/**
 * kraul's own fetch loop over the group's assignment: each round asks every partition
 * leader, in one request per broker, for the partitions that want records (owned, not
 * paused, nothing buffered). A paused or busy partition is simply left out of the request,
 * so its records stay on the broker while the others keep flowing. Fetches use their own
 * connections: a fetch waiting on the broker must not hold up heartbeats and commits.
 */
export class PartitionFetcher {
  readonly #client: Consumer;
  readonly #pool: ConnectionPool;
  readonly #options: PartitionFetcherOptions;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(client: Consumer, pool: ConnectionPool, options: PartitionFetcherOptions) {
    this.#client = client;
    this.#pool = pool;
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Some partition may want records now: start the next round if the loop sleeps. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Ends the loop; closing the fetch connections cuts a fetch that waits on the broker short. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.notify();
    await this.#pool.close();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const wanted: PartitionStream[] = [];
      let busy = false;
      for (const stream of this.#options.streams()) {
        if (stream.wantsFetch()) wanted.push(stream);
        else if (stream.holdsChunk()) busy = true;
      }
      if (wanted.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      try {
        // A round that waits its full time on quiet partitions would hold back a busy one's
        // next records for that long: one hop of a crawl through the topics, at every hop.
        const { maxWaitMs } = this.#options;
        await this.#fetchRound(wanted, busy ? Math.min(maxWaitMs, BUSY_FETCH_WAIT_MS) : maxWaitMs);
      } catch {
        if (this.#stopped) return;
        // Leader moves, broker restarts, expired sessions: the client already retried the
        // request; wait a little and ask again with fresh metadata.
        this.#client.clearMetadata();
        await new Promise((resolve) => setTimeout(resolve, this.#options.retryDelayMs));
      }
    }
  }

  async #fetchRound(wanted: PartitionStream[], maxWaitMs: number): Promise<void> {
    const topics = [...new Set(wanted.map((stream) => stream.topic))];
    const metadata = await this.#client.metadata({ topics });
    const byLeader = new Map<number, PartitionStream[]>();
    for (const stream of wanted) {
      const leader = metadata.topics.get(stream.topic)?.partitions[stream.partition]?.leader ?? -1;
      if (leader < 0) {
        this.#client.clearMetadata();
        continue;
      }
      const streams = byLeader.get(leader) ?? [];
      streams.push(stream);
      byLeader.set(leader, streams);
    }
    if (byLeader.size === 0) throw new Error('no partition of this fetch round has a leader');
    await Promise.all(
      [...byLeader].map(([node, streams]) => this.#fetchFrom(node, streams, metadata, maxWaitMs)),
    );
  }

  async #fetchFrom(
    node: number,
    streams: PartitionStream[],
    metadata: ClusterMetadata,
    maxWaitMs: number,
  ): Promise<void> {
    const requested = new Map<string, { stream: PartitionStream; offset: bigint }>();
    const topicNames = new Map<string, string>();
    const request = new Map<string, fetchV17.FetchRequestTopic>();
    for (const stream of streams) {
      const topicId = metadata.topics.get(stream.topic)!.id;
      const offset = stream.position!;
      topicNames.set(topicId, stream.topic);
      requested.set(stream.key, { stream, offset });
      let topic = request.get(topicId);
      if (!topic) {
        topic = { topicId, partitions: [] };
        request.set(topicId, topic);
      }
      topic.partitions.push({
        partition: stream.partition,
        fetchOffset: offset,
        partitionMaxBytes: this.#options.maxBytesPerPartition,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
    }
    let response: fetchV17.FetchResponse;
    try {
      response = await this.#client.fetch({
        node,
        topics: [...request.values()],
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes: this.#options.maxBytes,
        connectionPool: this.#pool,
      });
    } catch (error) {
      this.#handlePartitionErrors(error, requested, topicNames);
      throw error;
    }
    for (const topicResponse of response.responses) {
      const topic = topicNames.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const partitionResponse of topicResponse.partitions) {
        // An incremental fetch session may answer for partitions this round did not ask about.
        const asked = requested.get(`${topic}:${partitionResponse.partitionIndex}`);
        if (!asked || !partitionResponse.records) continue;
        const { records, nextOffset } = decodeBatches(
          topic,
          partitionResponse.partitionIndex,
          partitionResponse.records,
          asked.offset,
        );
        asked.stream.accept(records, nextOffset, asked.offset);
      }
    }
  }

  /** A fetch rejected for some partitions: resets the ones whose position fell out of the log. */
  #handlePartitionErrors(
    error: unknown,
    requested: Map<string, { stream: PartitionStream; offset: bigint }>,
    topicNames: Map<string, string>,
  ): void {
    if (!(error instanceof Error)) return;
    const response = findErrorBy(error, 'code', 'PLT_KFK_RESPONSE')?.['response'] as
      | fetchV17.FetchResponse
      | undefined;
    for (const topicResponse of response?.responses ?? []) {
      const topic = topicNames.get(topicResponse.topicId);
      for (const partitionResponse of topicResponse.partitions) {
        if (partitionResponse.errorCode !== offsetOutOfRange) continue;
        const asked = requested.get(`${topic}:${partitionResponse.partitionIndex}`);
        if (asked && asked.stream.position === asked.offset) this.#options.onOutOfRange(asked.stream);
      }
    }
  }
}
