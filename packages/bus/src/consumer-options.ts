import { BusError } from './errors.ts';
import type { ConsumerOptions } from './types.ts';

/** A member's options with the documented defaults of ConsumerOptions filled in. */
export type ResolvedConsumerOptions = ConsumerOptions &
  Required<
    Pick<
      ConsumerOptions,
      'startFrom' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxWaitMs' | 'maxBatchRecords'
    >
  >;

const defaults = {
  startFrom: 'earliest',
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxWaitMs: 500,
  maxBatchRecords: 500,
} satisfies Partial<ConsumerOptions>;

/** @throws BusError (`bus.invalid_consumer_options`) for a missing group id or topic, or settings Kafka refuses */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  assertValidConsumerOptions(options);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...defaults, ...given, groupId: options.groupId, topics: [...new Set(options.topics)] };
  // Five heartbeats per session (at most one a second): a member survives a few slow ones.
  if (options.heartbeatIntervalMs === undefined) {
    resolved.heartbeatIntervalMs = Math.max(
      100,
      Math.min(defaults.heartbeatIntervalMs, Math.floor(resolved.sessionTimeoutMs / 5)),
    );
  }
  return resolved;
}

/** @throws BusError (`bus.invalid_consumer_options`) for a missing group id or topic, or settings no bus accepts */
export function assertValidConsumerOptions(options: ConsumerOptions): void {
  const context = { groupId: options.groupId };
  if (typeof options.groupId !== 'string' || options.groupId === '') {
    throw new BusError('bus.invalid_consumer_options', 'a consumer needs a group id', context);
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    throw new BusError(
      'bus.invalid_consumer_options',
      `group ${options.groupId} subscribes to no topic`,
      context,
    );
  }
  const { maxBatchRecords, sessionTimeoutMs, heartbeatIntervalMs } = options;
  if (sessionTimeoutMs !== undefined && (!Number.isFinite(sessionTimeoutMs) || sessionTimeoutMs < 0)) {
    throw new BusError('bus.invalid_consumer_options', 'sessionTimeoutMs must be a non-negative number', {
      ...context,
      sessionTimeoutMs,
    });
  }
  if (maxBatchRecords !== undefined && (!Number.isInteger(maxBatchRecords) || maxBatchRecords < 1)) {
    throw new BusError('bus.invalid_consumer_options', 'maxBatchRecords must be a positive integer', {
      ...context,
      maxBatchRecords,
    });
  }
  if (
    heartbeatIntervalMs !== undefined &&
    sessionTimeoutMs !== undefined &&
    heartbeatIntervalMs > sessionTimeoutMs
  ) {
    throw new BusError(
      'bus.invalid_consumer_options',
      'heartbeatIntervalMs must not exceed sessionTimeoutMs',
      {
        ...context,
        heartbeatIntervalMs,
        sessionTimeoutMs,
      },
    );
  }
}
