import { z } from 'zod';

/** Which message bus a service uses. Spread its shape into a service schema for `KRAUL_BUS`. */
export const busSchema = z.object({
  bus: z
    .enum(['kafka', 'memory'])
    .default('kafka')
    .describe('Message bus: kafka for a cluster, memory for everything in one process'),
});

export type BusSettings = z.output<typeof busSchema>;
