import {
  type API,
  type Broker,
  type Connection,
  type Consumer,
  kGetApi,
  kGetConnection,
  type offsetCommitV9,
} from '@platformatic/kafka';
import type { CommitOffset } from '../types.ts';
import { hasKafkaError } from './errors.ts';

/** Errors after which asking the coordinator again can succeed. */
const transientErrors = [
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'REQUEST_TIMED_OUT',
];

/**
 * Group requests sent with the member's current generation, straight to the coordinator.
 * The client's own `commit()` answers a refused commit by rejoining the group and committing
 * again under the new generation, i.e. for partitions this member may no longer own, and from
 * inside a rebalance that is waiting on this very commit. A refused commit must fail instead,
 * as in Kafka's Java client; and the revocation keeps the session alive with heartbeats of its own.
 */
export class GroupRequests {
  readonly #client: Consumer;
  readonly #retries: number;
  readonly #retryDelayMs: number;

  constructor(client: Consumer, retries: number, retryDelayMs: number) {
    this.#client = client;
    this.#retries = retries;
    this.#retryDelayMs = retryDelayMs;
  }

  /** Commits next-offsets under the current generation; a refused commit rejects with the protocol error. */
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    const topics = new Map<string, offsetCommitV9.OffsetCommitRequestTopic>();
    for (const { topic, partition, offset } of offsets) {
      let entry = topics.get(topic);
      if (!entry) {
        entry = { name: topic, partitions: [] };
        topics.set(topic, entry);
      }
      entry.partitions.push({
        partitionIndex: partition,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: -1,
        committedMetadata: null,
      });
    }
    await this.#send('OffsetCommit', (api: API<unknown[], unknown>, connection) =>
      api.async(
        connection,
        this.#client.groupId,
        this.#client.generationId,
        this.#client.memberId ?? '',
        null,
        [...topics.values()],
      ),
    );
  }

  /** One heartbeat: keeps the session alive while a revocation runs before the rejoin. */
  async heartbeat(): Promise<void> {
    await this.#send('Heartbeat', (api: API<unknown[], unknown>, connection) =>
      api.async(
        connection,
        this.#client.groupId,
        this.#client.generationId,
        this.#client.memberId ?? '',
        null,
      ),
    );
  }

  /**
   * Heartbeats every `intervalMs` until the returned function is called or the coordinator
   * answers with anything but REBALANCE_IN_PROGRESS, the expected answer while the group
   * waits for members to rejoin (it still renews the session).
   */
  keepSessionAlive(intervalMs: number): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const beat = (): void => {
      timer = setTimeout(async () => {
        try {
          await this.heartbeat();
        } catch (error) {
          if (!hasKafkaError(error, 'REBALANCE_IN_PROGRESS')) return;
        }
        if (!stopped) beat();
      }, intervalMs);
    };
    beat();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  async #send(
    apiName: string,
    request: (api: API<unknown[], unknown>, connection: Connection) => Promise<unknown>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const coordinatorId = await this.#client.findGroupCoordinator();
        const metadata = await this.#client.metadata({ topics: [] });
        const broker = metadata.brokers.get(coordinatorId);
        if (!broker) throw new Error(`the group coordinator ${coordinatorId} is not in the cluster metadata`);
        const connection = await this.#connection(broker);
        const api = await this.#api(apiName);
        await request(api, connection);
        return;
      } catch (error) {
        const transient = transientErrors.some((name) => hasKafkaError(error, name));
        if (!transient || attempt >= this.#retries || this.#client.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs));
      }
    }
  }

  #connection(broker: Broker): Promise<Connection> {
    return new Promise((resolve, reject) => {
      this.#client[kGetConnection](broker, (error, connection) =>
        error || !connection ? reject(error) : resolve(connection),
      );
    });
  }

  #api(name: string): Promise<API<unknown[], unknown>> {
    return new Promise((resolve, reject) => {
      this.#client[kGetApi]<unknown[], unknown>(name, (error, api) =>
        error || !api ? reject(error) : resolve(api),
      );
    });
  }
}
