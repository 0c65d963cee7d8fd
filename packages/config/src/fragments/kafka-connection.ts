import { z } from 'zod';

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/;

const tlsSchema = z.object({
  enabled: z.boolean().default(false).describe('Connect to the brokers over TLS'),
  ca: z
    .string()
    .optional()
    .describe('Path to a PEM file of CA certificates to trust instead of the system ones'),
  cert: z.string().optional().describe('Path to the PEM client certificate (mutual TLS)'),
  key: z.string().optional().describe('Path to the PEM private key of the client certificate'),
  rejectUnauthorized: z
    .boolean()
    .default(true)
    .describe('Refuse brokers whose certificate does not verify; turn off only for testing'),
});

const saslSchema = z
  .object({
    mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .optional()
      .describe('SASL mechanism; unset means no SASL authentication'),
    username: z.string().optional().describe('SASL username, required with a mechanism'),
    password: z
      .string()
      .optional()
      .describe('SASL password; with a mechanism, this or passwordFile is required'),
    passwordFile: z
      .string()
      .optional()
      .describe('Path to a file holding the SASL password (a mounted secret), read at start'),
  })
  .superRefine((sasl, ctx) => {
    if (!sasl.mechanism) return;
    if (!sasl.username) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'required when a SASL mechanism is set' });
    }
    if (!sasl.password && !sasl.passwordFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'required when a SASL mechanism is set (or give passwordFile)',
      });
    }
    if (sasl.password && sasl.passwordFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['passwordFile'],
        message: 'set the password or its file, not both',
      });
    }
  });

/**
 * How to reach the Kafka cluster and name kraul's topics on it. Mount it under a key,
 * e.g. `kafka: kafkaConnectionSchema`, giving `KRAUL_KAFKA_BROKERS` and so on.
 */
export const kafkaConnectionSchema = z.object({
  brokers: z
    .array(z.string().regex(BROKER, 'expected host:port, e.g. 127.0.0.1:9092'))
    .min(1)
    .default(['127.0.0.1:9092'])
    .describe('Bootstrap brokers, host:port, comma-separated'),
  clientId: z.string().min(1).default('kraul').describe('Client id the brokers see in their logs and quotas'),
  compression: z
    .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
    .default('snappy')
    .describe(
      'How producers compress record batches (snappy: cheapest per page; zstd, gzip: smaller, more CPU)',
    ),
  client: z
    .enum(['platformatic', 'kafkajs'])
    .default('platformatic')
    // kafkajs lost acknowledged records when a partition leader died: it is never the default.
    .describe('Kafka client library: platformatic or kafkajs (see docs/kafka-clients.md)'),
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected letters, digits, ".", "_" or "-" only')
    .default('kraul')
    .describe('Topic names are `<prefix>.todo`, `<prefix>.events`, ...: one prefix per crawl or tenant'),
  partitions: z
    .int()
    .min(1)
    .default(12)
    .describe('Partitions of the topics `kraul topics create` makes; caps how many crawlers share the work'),
  replicationFactor: z
    .int()
    .min(1)
    .optional()
    .describe('Replication factor of the topics `topics create` makes; unset means min(3, brokers)'),
  groupProtocol: z
    .enum(['consumer', 'classic'])
    .default('consumer')
    .describe(
      'Consumer group protocol: consumer (KIP-848, Kafka >= 4.0, incremental) or classic (cooperative-sticky, older brokers)',
    ),
  tls: tlsSchema.prefault({}),
  sasl: saslSchema.prefault({}),
});

export type KafkaConnection = z.output<typeof kafkaConnectionSchema>;
