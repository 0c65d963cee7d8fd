import { duration, kafkaConnectionSchema, telemetrySchema } from '@kraul/config';
import { z } from 'zod';

/** The frontier service's settings: `KRAUL_*` environment variables or `kraul frontier` flags. */
export const frontierConfigSchema = z.object({
  kafka: kafkaConnectionSchema.prefault({}),
  ...telemetrySchema.shape,
  dataDir: z
    .string()
    .min(1)
    .default('./data/frontier')
    .describe("Folder of the shard databases, one sqlite file per partition; empty or kraul's own"),
  feedTargetLatency: duration()
    .default(2_000)
    .describe("Work a shard may have out, in time at its hosts' measured completion rate"),
  feedMinWindow: z.int().min(1).default(32).describe('Fewest fetch requests a shard may have out'),
  feedMaxWindow: z
    .int()
    .min(1)
    .default(4_096)
    .describe('Most fetch requests a shard may have out (memory bound)'),
  perHostPerBatch: z.int().min(1).default(4).describe('Most URLs of one host per lease call'),
  hostPlacement: z
    .enum(['balanced', 'hash'])
    .default('balanced')
    .describe(
      "A new host's todo partition: the one with the fewest hosts (balanced) or its shard's own (hash)",
    ),
  lease: duration()
    .default(600_000)
    .describe('A request not reported done or failed within this is sent again'),
  feedInterval: duration().default(250).describe('Pause between feeding rounds when nothing is due'),
  retryBase: duration()
    .default(30_000)
    .describe('Wait before the second attempt of a retryable failure; doubles per attempt'),
  retryMax: duration().default(3_600_000).describe('Longest wait between attempts'),
  sessionTimeout: duration()
    .default(2_500)
    .describe(
      "Consumer group session timeout: how soon a dead member's partitions move (the brokers bound it)",
    ),
});

export type FrontierConfig = z.output<typeof frontierConfigSchema>;
