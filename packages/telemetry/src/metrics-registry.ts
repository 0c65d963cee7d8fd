import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { MetricConflictError } from './errors.ts';

export interface MetricsRegistryOptions {
  /** Prepended to every metric name, default metrics included. Default `kraul_`. */
  prefix?: string;
  /** Labels added to every sample of this registry, e.g. `{ role: 'crawler' }`. Default none. */
  defaultLabels?: Record<string, string>;
  /** Also collect Node process metrics (CPU, memory, event loop lag, GC). Default `false`. */
  collectDefault?: boolean;
  /**
   * An existing prom-client registry to register into instead of a new one. Default: a
   * new registry. Never the prom-client global one: several roles share a process in
   * embedded mode, and each decides whether it shares a registry or owns one.
   */
  registry?: Registry;
}

/**
 * A prom-client registry whose metric helpers are idempotent: asking twice for the same
 * name returns the metric already registered, so roles sharing a registry in one
 * process (embedded mode) do not collide with "already registered" errors.
 */
export interface MetricsRegistry {
  readonly registry: Registry;
  readonly prefix: string;
  counter<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  /** All metrics in the Prometheus text exposition format. */
  metrics(): Promise<string>;
  /** The HTTP content type of `metrics()`. */
  readonly contentType: string;
}

// Default metrics are registered under these names; seeing one means another caller
// already enabled them on this registry.
const DEFAULT_METRIC_PROBE = 'process_cpu_user_seconds_total';

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const prefix = options.prefix ?? 'kraul_';
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.collectDefault && !registry.getSingleMetric(prefix + DEFAULT_METRIC_PROBE)) {
    collectDefaultMetrics({ register: registry, prefix });
  }

  function existing<M>(
    fullName: string,
    type: abstract new (...args: never[]) => M,
    labelNames: readonly string[],
  ): M | undefined {
    const found = registry.getSingleMetric(fullName);
    if (!found) return undefined;
    if (!(found instanceof type)) throw new MetricConflictError(fullName, `as another metric type`);
    const registered = (found as unknown as { labelNames: readonly string[] }).labelNames;
    if ([...registered].sort().join(',') !== [...labelNames].sort().join(',')) {
      throw new MetricConflictError(fullName, `with labels [${registered.join(', ')}]`);
    }
    return found;
  }

  return {
    registry,
    prefix,
    get contentType() {
      return registry.contentType;
    },
    metrics: () => registry.metrics(),
    counter(name, help, labelNames = []) {
      const fullName = prefix + name;
      return (
        existing(fullName, Counter, labelNames) ??
        new Counter({ name: fullName, help, labelNames, registers: [registry] })
      );
    },
    gauge(name, help, labelNames = []) {
      const fullName = prefix + name;
      return (
        existing(fullName, Gauge, labelNames) ??
        new Gauge({ name: fullName, help, labelNames, registers: [registry] })
      );
    },
    histogram(name, help, labelNames = [], buckets) {
      const fullName = prefix + name;
      return (
        existing(fullName, Histogram, labelNames) ??
        new Histogram({
          name: fullName,
          help,
          labelNames,
          registers: [registry],
          ...(buckets ? { buckets } : {}),
        })
      );
    },
  };
}
