import type { Command } from 'commander';

// The global connection flags, apart from what reads them (connection.ts): every command line
// defines them, and defining them must not load the Kafka client or the settings schemas.

/**
 * The global flags and the setting each one sets. Short flags for what operators type
 * often; the full dotted names (`--kafka.partitions`) would be a mouthful.
 */
const CONNECTION_FLAGS = [
  { flags: '--brokers <list>', key: 'kafka.brokers', help: 'bootstrap brokers, host:port, comma-separated' },
  {
    flags: '--prefix <prefix>',
    key: 'kafka.topicPrefix',
    help: 'topic prefix: topics are <prefix>.todo, <prefix>.events, ...',
  },
  {
    flags: '--partitions <n>',
    key: 'kafka.partitions',
    help: 'partitions of the topics `topics create` makes',
  },
  {
    flags: '--replication-factor <n>',
    key: 'kafka.replicationFactor',
    help: 'replication factor of created topics',
  },
  { flags: '--client-id <id>', key: 'kafka.clientId', help: 'client id the brokers see' },
  {
    flags: '--kafka-client <name>',
    key: 'kafka.client',
    help: 'Kafka client library: platformatic (default) or kafkajs',
  },
  {
    flags: '--group-protocol <name>',
    key: 'kafka.groupProtocol',
    help: 'consumer group protocol: consumer (Kafka >= 4.0, the default) or classic (older brokers)',
  },
  {
    flags: '--compression <codec>',
    key: 'kafka.compression',
    help: 'producer compression: none, gzip, snappy, lz4 or zstd',
  },
  { flags: '--tls', key: 'kafka.tls.enabled', help: 'connect to the brokers over TLS' },
  { flags: '--tls-ca <file>', key: 'kafka.tls.ca', help: 'PEM file of CA certificates to trust' },
  { flags: '--tls-cert <file>', key: 'kafka.tls.cert', help: 'PEM client certificate (mutual TLS)' },
  { flags: '--tls-key <file>', key: 'kafka.tls.key', help: 'PEM private key of the client certificate' },
  {
    flags: '--tls-insecure',
    key: 'kafka.tls.rejectUnauthorized',
    help: 'accept brokers whose certificate does not verify (testing only)',
  },
  {
    flags: '--sasl-mechanism <name>',
    key: 'kafka.sasl.mechanism',
    help: 'plain, scram-sha-256 or scram-sha-512',
  },
  { flags: '--sasl-username <name>', key: 'kafka.sasl.username', help: 'SASL username' },
  {
    flags: '--sasl-password <secret>',
    key: 'kafka.sasl.password',
    help: 'SASL password (prefer KRAUL_KAFKA_SASL_PASSWORD or a file: flags show in ps)',
  },
  {
    flags: '--sasl-password-file <file>',
    key: 'kafka.sasl.passwordFile',
    help: 'file holding the SASL password, e.g. a mounted secret',
  },
  { flags: '--log-level <level>', key: 'logLevel', help: 'trace, debug, info, warn, error, fatal or silent' },
  { flags: '--log-format <format>', key: 'logFormat', help: 'json, pretty or auto' },
] as const;

/** Commander's attribute name of a flag: `--tls-ca <file>` → `tlsCa`. */
function attributeOf(flags: string): string {
  const long = flags.split(' ')[0]!.slice(2);
  return long.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function longFlag(flags: string): string {
  return flags.split(' ')[0]!;
}

/** Adds the connection flags to a command (the program, so every subcommand accepts them). */
export function addConnectionOptions(command: Command): Command {
  for (const flag of CONNECTION_FLAGS) command.option(flag.flags, flag.help);
  return command;
}

/**
 * The settings given as flags, keyed as `loadConfig` reads them. Values stay as typed
 * (strings), so a bad one is reported by the schema with the value as written.
 */
export function connectionFlagValues(options: Record<string, unknown>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const flag of CONNECTION_FLAGS) {
    const value = options[attributeOf(flag.flags)];
    if (value === undefined) continue;
    // --tls-insecure is the negation of rejectUnauthorized.
    flags[flag.key] = flag.key === 'kafka.tls.rejectUnauthorized' ? !value : value;
  }
  return flags;
}

const FLAG_OF_KEY: ReadonlyMap<string, string> = new Map(
  CONNECTION_FLAGS.map((flag) => [flag.key, longFlag(flag.flags)]),
);

/** The CLI flag of a connection setting (`kafka.partitions` → `--partitions`), when it has one. */
export function connectionFlagOf(key: string): string | undefined {
  return FLAG_OF_KEY.get(key);
}
