import {
  type API,
  type Broker,
  type Connection,
  type Consumer,
  type consumerGroupHeartbeatV1,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
  type offsetCommitV9,
  type offsetFetchV9,
} from '@platformatic/kafka';
import type { CommitOffset, CommittedOffset, TopicPartition } from '../types.ts';
import { hasKafkaError, isTransientGroupError } from './errors.ts';

/** Kafka's FindCoordinator key type of a consumer group. */
const groupKeyType = 0;
/** Kafka's config resource type of a consumer group (KIP-848 group configs). */
const groupResourceType = 32;
/** IncrementalAlterConfigs operation SET. */
const setOperation = 0;

/** Who the member is in the group right now: the classic generation or the KIP-848 member epoch. */
export interface GroupSession {
  memberId(): string;
  /** The classic protocol's generation id, or the consumer protocol's member epoch. */
  generation(): number;
}

export type ConsumerGroupHeartbeatRequest = {
  memberId: string;
  memberEpoch: number;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  topicPartitions: { topicId: string; partitions: number[] }[];
};

export type ConsumerGroupHeartbeatResponse = consumerGroupHeartbeatV1.ConsumerGroupHeartbeatResponse;

/**
 * Group requests kraul sends itself, straight to the coordinator, with the member's current
 * generation (classic) or epoch (consumer protocol). The client's own `commit()` answers a
 * refused commit by rejoining the group and committing again under the new generation, i.e.
 * for partitions this member may no longer own; a refused commit must fail instead, as in
 * Kafka's Java client. The coordinator is looked up here too, because the client keeps its
 * own lookup private and would not forget a coordinator that moved when one of these requests
 * is told NOT_COORDINATOR.
 */
export class GroupRequests {
  readonly #client: Consumer;
  readonly #groupId: string;
  readonly #session: GroupSession;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  #coordinator: number | undefined;

  constructor(
    client: Consumer,
    groupId: string,
    session: GroupSession,
    retries: number,
    retryDelayMs: number,
  ) {
    this.#client = client;
    this.#groupId = groupId;
    this.#session = session;
    this.#retries = retries;
    this.#retryDelayMs = retryDelayMs;
  }

  /**
   * Commits next-offsets under the current generation; a refused commit rejects with the
   * protocol error. A STALE_MEMBER_EPOCH (the epoch moved on while the request flew) is
   * retried: the generation is read again for every attempt.
   */
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    const topics = new Map<string, offsetCommitV9.OffsetCommitRequestTopic>();
    for (const { topic, partition, offset, metadata } of offsets) {
      let entry = topics.get(topic);
      if (!entry) {
        entry = { name: topic, partitions: [] };
        topics.set(topic, entry);
      }
      entry.partitions.push({
        partitionIndex: partition,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: -1,
        committedMetadata: metadata ?? null,
      });
    }
    await this.#send(
      'OffsetCommit',
      (api, connection) =>
        api.async(connection, this.#groupId, this.#session.generation(), this.#session.memberId(), null, [
          ...topics.values(),
        ]),
      ['STALE_MEMBER_EPOCH'],
    );
  }

  /** The group's committed offsets and metadata of these partitions (-1 where none). */
  async committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    const topics = new Map<string, number[]>();
    for (const { topic, partition } of partitions)
      topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    let response: offsetFetchV9.OffsetFetchResponse | undefined;
    await this.#send('OffsetFetch', async (api, connection) => {
      response = (await api.async(
        connection,
        [
          {
            groupId: this.#groupId,
            memberId: null,
            memberEpoch: -1,
            topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          },
        ],
        false,
      )) as offsetFetchV9.OffsetFetchResponse;
    });
    const found = new Map<string, CommittedOffset>();
    for (const topic of response?.groups[0]?.topics ?? []) {
      for (const partition of topic.partitions) {
        found.set(`${topic.name}:${partition.partitionIndex}`, {
          topic: topic.name,
          partition: partition.partitionIndex,
          offset: Number(partition.committedOffset),
          metadata: partition.metadata || null,
        });
      }
    }
    return partitions.map(
      ({ topic, partition }) =>
        found.get(`${topic}:${partition}`) ?? { topic, partition, offset: -1, metadata: null },
    );
  }

  /** One classic heartbeat: keeps the session alive while a revocation runs before the rejoin. */
  async heartbeat(): Promise<void> {
    await this.#send('Heartbeat', (api, connection) =>
      api.async(connection, this.#groupId, this.#session.generation(), this.#session.memberId(), null),
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

  /** One ConsumerGroupHeartbeat (KIP-848), not retried: the member's loop decides what comes next. */
  async consumerGroupHeartbeat(
    request: ConsumerGroupHeartbeatRequest,
  ): Promise<ConsumerGroupHeartbeatResponse> {
    let response: ConsumerGroupHeartbeatResponse | undefined;
    await this.#send(
      'ConsumerGroupHeartbeat',
      async (api, connection) => {
        response = (await api.async(
          connection,
          this.#groupId,
          request.memberId,
          request.memberEpoch,
          null,
          null,
          request.rebalanceTimeoutMs,
          request.subscribedTopicNames,
          null,
          null,
          request.topicPartitions,
        )) as ConsumerGroupHeartbeatResponse;
      },
      [],
      0,
    );
    return response!;
  }

  /** Sets dynamic configs of this group (e.g. `consumer.session.timeout.ms`); the broker checks its bounds. */
  async setGroupConfigs(configs: Record<string, string>): Promise<void> {
    await this.#send('IncrementalAlterConfigs', (api, connection) =>
      api.async(
        connection,
        [
          {
            resourceType: groupResourceType,
            resourceName: this.#groupId,
            configs: Object.entries(configs).map(([name, value]) => ({
              name,
              configOperation: setOperation,
              value,
            })),
          },
        ],
        false,
      ),
    );
  }

  /** Forgets the coordinator: the next request looks it up again. */
  forgetCoordinator(): void {
    this.#coordinator = undefined;
  }

  async #send(
    apiName: string,
    request: (api: API<unknown[], unknown>, connection: Connection) => Promise<unknown>,
    alsoRetried: readonly string[] = [],
    retries = this.#retries,
  ): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const connection = await this.#coordinatorConnection();
        const api = await this.#api(apiName);
        await request(api, connection);
        return;
      } catch (error) {
        const transient = isTransientGroupError(error);
        if (transient) this.forgetCoordinator();
        const retried = transient || alsoRetried.some((name) => hasKafkaError(error, name));
        if (!retried || attempt >= retries || this.#client.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs));
      }
    }
  }

  async #coordinatorConnection(): Promise<Connection> {
    this.#coordinator ??= await this.#findCoordinator();
    const metadata = await this.#client.metadata({ topics: [] });
    const broker = metadata.brokers.get(this.#coordinator);
    if (!broker) {
      this.forgetCoordinator();
      this.#client.clearMetadata();
      throw new Error(`the group coordinator ${this.#coordinator} is not in the cluster metadata`);
    }
    return this.#connection(broker);
  }

  async #findCoordinator(): Promise<number> {
    const connection = await new Promise<Connection>((resolve, reject) => {
      this.#client[kGetBootstrapConnection]((error, connection) =>
        error || !connection ? reject(error) : resolve(connection),
      );
    });
    const api = await this.#api('FindCoordinator');
    const response = (await api.async(connection, groupKeyType, [this.#groupId])) as {
      coordinators: { key: string; nodeId: number }[];
    };
    const coordinator =
      response.coordinators.find(({ key }) => key === this.#groupId) ?? response.coordinators[0];
    if (coordinator === undefined || coordinator.nodeId < 0) {
      throw new Error(`no coordinator for group ${this.#groupId} yet`);
    }
    return coordinator.nodeId;
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
