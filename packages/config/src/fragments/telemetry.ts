import { z } from 'zod';

/**
 * Logging and metrics settings shared by every service. Spread its shape into a service
 * schema (`z.object({ ...telemetrySchema.shape, ... })`) for `KRAUL_LOG_LEVEL` and so on.
 */
export const telemetrySchema = z.object({
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('Lowest log level written'),
  logFormat: z
    .enum(['json', 'pretty', 'auto'])
    .default('auto')
    .describe('Log format; auto is pretty on a terminal, JSON lines otherwise'),
  metricsPort: z
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('Port of the /metrics, /healthz and /readyz server; unset means no server, 0 any free port'),
  metricsHost: z
    .string()
    .min(1)
    .default('0.0.0.0')
    .describe('Interface the metrics server listens on; 0.0.0.0 so Prometheus and probes reach it'),
});

export type TelemetrySettings = z.output<typeof telemetrySchema>;
