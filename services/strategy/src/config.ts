import { duration, kafkaConnectionSchema, telemetrySchema } from '@kraul/config';
import { z } from 'zod';

/** The strategy service's settings: `KRAUL_*` environment variables or `kraul strategy` flags. */
export const strategyConfigSchema = z.object({
  kafka: kafkaConnectionSchema.prefault({}),
  ...telemetrySchema.shape,
  recentUrls: z
    .int()
    .min(1)
    .default(100_000)
    .describe('Fingerprints of recently scheduled URLs remembered to skip repeats'),
  sessionTimeout: duration()
    .default(2_500)
    .describe(
      "Consumer group session timeout: how soon a dead member's partitions move (the brokers bound it)",
    ),
});

export type StrategyConfig = z.output<typeof strategyConfigSchema>;
