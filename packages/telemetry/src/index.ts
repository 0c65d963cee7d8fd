export { serializeError } from './error-serializer.ts';
export { MetricConflictError } from './errors.ts';
export { formatBytes, formatDuration, formatRate } from './format.ts';
export { createLogger, type LogFormat, type Logger, type LoggerOptions, type LogLevel } from './logger.ts';
export { type MetricSample, metricSamples } from './metric-samples.ts';
export {
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsRegistryOptions,
} from './metrics-registry.ts';
export { ProgressLine, type ProgressLineOptions } from './progress-line.ts';
export {
  type HealthCheck,
  type HealthReport,
  startTelemetryServer,
  type TelemetryServer,
  type TelemetryServerOptions,
} from './telemetry-server.ts';
