import { BusError, ProduceError } from '../errors.ts';
import type { OutgoingRecord } from '../types.ts';

interface KafkajsErrorShape {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/** Every error inside a kafkajs error: retries wrap their last attempt, aggregates list theirs. */
function* errorsIn(error: unknown, depth = 0): Generator<KafkajsErrorShape> {
  if (typeof error !== 'object' || error === null || depth > 5) return;
  const shape = error as KafkajsErrorShape;
  yield shape;
  yield* errorsIn(shape.cause, depth + 1);
  yield* errorsIn(shape.originalError, depth + 1);
  if (Array.isArray(shape.errors)) for (const inner of shape.errors) yield* errorsIn(inner, depth + 1);
}

/** The Kafka protocol error name (e.g. `REBALANCE_IN_PROGRESS`) somewhere in a kafkajs error, if any. */
export function kafkaErrorName(error: unknown): string | undefined {
  for (const inner of errorsIn(error)) if (typeof inner.type === 'string') return inner.type;
  return undefined;
}

export function hasKafkaError(error: unknown, name: string): boolean {
  for (const inner of errorsIn(error)) if (inner.type === name) return true;
  return false;
}

/** One line for a kafkajs error: its message plus the protocol errors and causes inside it. */
export function describeClientError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = new Set<string>();
  for (const inner of errorsIn(error)) {
    if (inner === error) continue;
    if (typeof inner.type === 'string') details.add(inner.type);
    else if (typeof inner.message === 'string' && inner.message !== error.message) details.add(inner.message);
  }
  const type = (error as KafkajsErrorShape).type;
  if (typeof type === 'string') details.add(type);
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
