import { findErrorBy } from '@platformatic/kafka';
import { BusError, ProduceError } from '../errors.ts';
import type { OutgoingRecord } from '../types.ts';

/** The Kafka protocol error name (e.g. `REBALANCE_IN_PROGRESS`) somewhere in a client error, if any. */
export function kafkaErrorName(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const protocolError = findErrorBy(error, 'code', 'PLT_KFK_PROTOCOL');
  const name = protocolError?.['apiId'];
  return typeof name === 'string' ? name : undefined;
}

export function hasKafkaError(error: unknown, name: string): boolean {
  return error instanceof Error && findErrorBy(error, 'apiId', name) !== null;
}

/** The metadata lookup's way of saying a topic does not exist (it replaces the protocol error). */
export function isUnknownTopic(error: unknown): boolean {
  if (hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return true;
  return (
    error instanceof Error &&
    findErrorBy(error, 'code', 'PLT_KFK_USER')?.message.startsWith('Unknown topic') === true
  );
}

/** One line for a client error: its own message plus the protocol errors and causes inside it. */
export function describeClientError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = new Set<string>();
  const visit = (current: unknown, depth: number): void => {
    if (!(current instanceof Error) || depth > 4) return;
    const name = (current as { apiId?: unknown }).apiId;
    if (typeof name === 'string') details.add(name);
    else if (current !== error && current.message) details.add(current.message);
    if (current instanceof AggregateError) for (const inner of current.errors) visit(inner, depth + 1);
    visit(current.cause, depth + 1);
  };
  visit(error, 0);
  return details.size > 0 ? `${error.message} (${[...details].join('; ')})` : error.message;
}

export function produceFailed(records: readonly OutgoingRecord[], cause: unknown): ProduceError {
  const topics = [...new Set(records.map((record) => record.topic))];
  const kafkaError = kafkaErrorName(cause);
  return new ProduceError(
    `could not write ${records.length} record(s) to ${topics.join(', ')}: ${describeClientError(cause)}`,
    records,
    { topic: topics.length === 1 ? topics[0] : topics, ...(kafkaError ? { kafkaError } : {}) },
    cause,
  );
}

export function unknownTopics(records: readonly OutgoingRecord[], topics: readonly string[]): ProduceError {
  return new ProduceError(
    `topic ${topics.join(', ')} does not exist: create it first (kraul topics create); brokers never create topics on their own`,
    records,
    { topic: topics.length === 1 ? topics[0] : topics, reason: 'unknown_topic' },
  );
}

/** A commit the group coordinator refused: the member lost the partitions or the generation moved on. */
export function commitRejected(groupId: string, cause: unknown, context: Record<string, unknown>): BusError {
  const kafkaError = kafkaErrorName(cause);
  return new BusError(
    'bus.commit_rejected',
    `group ${groupId} refused the commit: ${describeClientError(cause)}; the records will be delivered again to the partition's next owner`,
    { groupId, ...context, ...(kafkaError ? { kafkaError } : {}) },
    cause,
  );
}

/** Errors after which asking the group coordinator again (looked up afresh) can succeed. */
const transientGroupErrors = [
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'REQUEST_TIMED_OUT',
];

/** A coordinator that moved or is loading, a lost connection or a timeout: worth asking again. */
export function isTransientGroupError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (transientGroupErrors.some((name) => hasKafkaError(error, name))) return true;
  return (
    findErrorBy(error, 'code', 'PLT_KFK_NETWORK') !== null ||
    findErrorBy(error, 'code', 'PLT_KFK_TIMEOUT') !== null ||
    /no coordinator for group/.test(error.message)
  );
}

/** Protocol errors no retry can fix: the settings, the credentials or the broker's version are wrong. */
const configurationErrors = [
  'UNSUPPORTED_VERSION',
  'INVALID_REQUEST',
  'UNSUPPORTED_ASSIGNOR',
  'INVALID_GROUP_ID',
  'GROUP_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNRELEASED_INSTANCE_ID',
  'INCONSISTENT_GROUP_PROTOCOL',
  'GROUP_MAX_SIZE_REACHED',
  'INVALID_SESSION_TIMEOUT',
];

/**
 * Whether an error of a group request means the configuration is wrong (exit with a clear
 * message) rather than the cluster being busy, restarting or electing (retry with backoff).
 */
export function isConfigurationError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (configurationErrors.some((name) => hasKafkaError(error, name))) return true;
  return (
    findErrorBy(error, 'code', 'PLT_KFK_AUTHENTICATION') !== null ||
    findErrorBy(error, 'code', 'PLT_KFK_UNSUPPORTED_API') !== null ||
    findErrorBy(error, 'code', 'PLT_KFK_UNSUPPORTED') !== null ||
    findErrorBy(error, 'code', 'PLT_KFK_USER') !== null
  );
}
