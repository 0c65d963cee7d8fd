import { KraulError } from '@kraul/protocol';

/** A metric name is already registered with another type or other label names. */
export class MetricConflictError extends KraulError {
  constructor(metric: string, reason: string) {
    super('telemetry.metric_conflict', `metric ${metric} is already registered ${reason}`, { metric });
  }
}
