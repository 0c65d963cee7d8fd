import type { BaseOptions, ConnectionOptions } from '@platformatic/kafka';
import type { BusError } from '../errors.ts';

/** TLS settings for the broker connections. Setting this object turns TLS on. */
export interface KafkaTlsOptions {
  /** Trusted CA certificates (PEM). Default: Node's bundled root certificates. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Buffer;
  /** Private key (PEM) of the client certificate. */
  key?: string | Buffer;
  /** Refuse brokers whose certificate does not verify. Default: true. */
  rejectUnauthorized?: boolean;
}

export interface KafkaSaslOptions {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export interface KafkaBusOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Client id prefix shown in broker logs; each client adds its role (`-producer`, `-admin`, ...). */
  clientId: string;
  tls?: KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
  /** How long opening a broker connection may take. Default: 5,000 ms. */
  connectTimeoutMs?: number;
  /** How long one request may wait for its response; keep it well above a consumer's `maxWaitMs`. Default: 30,000 ms. */
  requestTimeoutMs?: number;
  /**
   * Retries of a failed request (network errors, leader moves) before the operation fails
   * (at least 2 for the idempotent producer). Default: 5.
   */
  retries?: number;
  /** Pause between two retries. Default: 250 ms. */
  retryDelayMs?: number;
  /**
   * Idempotent producer (one producer id, sequence numbers per partition): a retried batch is
   * written once even when the first attempt reached the broker. Default: true.
   */
  idempotent?: boolean;
  /**
   * How producers compress record batches. Measured on kraul's records (docs/benchmarks.md):
   * snappy shrinks a page's event about 2.2x and a batch of fetch requests about 4.4x for
   * some 25 µs per batch (compress and decompress); zstd and gzip shrink more (3x, 8x) at 6 to
   * 15 times the CPU. Default: 'snappy'.
   */
  compression?: KafkaCompression;
  /**
   * How long `send` waits for a topic it does not know to appear in the metadata before it
   * fails with a ProduceError (topics are created explicitly, never by the broker). Default: 2,000 ms.
   */
  unknownTopicTimeoutMs?: number;
  /** How long `createTopics` waits until every new partition has a leader. Default: 30,000 ms. */
  topicReadyTimeoutMs?: number;
  /**
   * How long the group waits for its members to rejoin in a rebalance (never less than the
   * session timeout): `onRevoked` must settle within it, or the member is dropped from the
   * group. Keep it below `requestTimeoutMs`, which also bounds the wait of a JoinGroup.
   * Default: 25,000 ms.
   */
  rebalanceTimeoutMs?: number;
  /**
   * The consumer group protocol. `consumer` (KIP-848, brokers >= 4.0): the coordinator assigns
   * and rebalances incrementally; session timeout and heartbeat interval are group configs the
   * broker bounds. `classic`: JoinGroup/SyncGroup with the cooperative-sticky assignor, for
   * brokers older than 4.0. Default: 'consumer'.
   */
  groupProtocol?: 'consumer' | 'classic';
  /**
   * Receives a transient failure (a coordinator that moved or is loading, a broker restart)
   * that the bus retries with backoff, once per streak of failures, and settings a broker
   * refused. Default: a process warning.
   */
  onTransientError?: (error: BusError) => void;
  /** Called when a group member works again after a streak of transient failures. */
  onRecovered?: (event: { groupId: string; what: string; failures: number }) => void;
  /**
   * Receives the error when a consumer's `onBatch`, `onAssigned` or `onRevoked` throws; the
   * member goes on with the next batch and commits nothing on its own.
   * Default: a process warning.
   */
  onHandlerError?: (error: BusError) => void;
}

export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** The options with every default filled in. */
export type ResolvedKafkaBusOptions = Required<Omit<KafkaBusOptions, 'tls' | 'sasl' | 'onRecovered'>> &
  Pick<KafkaBusOptions, 'tls' | 'sasl' | 'onRecovered'>;

export function resolveKafkaBusOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  return {
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 30_000,
    retries: 5,
    retryDelayMs: 250,
    idempotent: true,
    compression: 'snappy',
    unknownTopicTimeoutMs: 2_000,
    topicReadyTimeoutMs: 30_000,
    rebalanceTimeoutMs: 25_000,
    groupProtocol: 'consumer',
    onTransientError: (error) => process.emitWarning(error),
    onHandlerError: (error) => process.emitWarning(error),
    ...stripUndefined(options),
  };
}

/** What every @platformatic/kafka client and connection pool of the bus is built with. */
export function connectionOptions(options: ResolvedKafkaBusOptions): ConnectionOptions {
  const connection: ConnectionOptions = {
    connectTimeout: options.connectTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
  };
  if (options.tls) {
    const { ca, cert, key, rejectUnauthorized } = options.tls;
    connection.tls = stripUndefined({ ca, cert, key, rejectUnauthorized: rejectUnauthorized ?? true });
  }
  if (options.sasl) {
    const { mechanism, username, password } = options.sasl;
    connection.sasl = { mechanism, username, password };
  }
  return connection;
}

export function clientOptions(options: ResolvedKafkaBusOptions, role: string): BaseOptions {
  return {
    ...connectionOptions(options),
    clientId: `${options.clientId}-${role}`,
    bootstrapBrokers: options.brokers,
    retries: options.retries,
    retryDelay: options.retryDelayMs,
    // Topics are created explicitly by the admin API: a typo must fail, not create a topic.
    autocreateTopics: false,
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
