import { readFileSync } from 'node:fs';
import type { Bus, ClusterBusOptions, KafkaBusOptions, KafkaTlsOptions } from '@kraul/bus';
import {
  ConfigError,
  type ConfigWarning,
  kafkaConnectionSchema,
  loadConfig,
  telemetrySchema,
} from '@kraul/config';
import { topicNames } from '@kraul/protocol';
import { z } from 'zod';
import { connectionFlagOf, connectionFlagValues } from './connection-flags.ts';
import { CliUsageError, TlsFileError } from './errors.ts';

export { addConnectionOptions, connectionFlagOf, connectionFlagValues } from './connection-flags.ts';

/**
 * What every command that talks to the cluster reads: how to reach Kafka and name the
 * topics (`KRAUL_KAFKA_*`, the same variables the services read) and how to log.
 */
export const connectionSchema = z.object({
  kafka: kafkaConnectionSchema.prefault({}),
  logLevel: telemetrySchema.shape.logLevel,
  logFormat: telemetrySchema.shape.logFormat,
});

export type ConnectionConfig = z.output<typeof connectionSchema>;

export interface LoadedConnection {
  config: ConnectionConfig;
  warnings: ConfigWarning[];
}

/**
 * Reads the connection settings from `KRAUL_*` variables and the global flags (flags win).
 * Throws a ConfigError naming every bad value, with the flags as the user typed them.
 */
export function loadConnectionConfig(
  options: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
): LoadedConnection {
  let loaded: LoadedConnection;
  try {
    loaded = loadConfig(connectionSchema, { env, flags: connectionFlagValues(options) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) =>
        problem.source?.startsWith('--')
          ? { ...problem, source: connectionFlagOf(problem.key) ?? problem.source }
          : problem,
      ),
    );
  }
  assertUsablePrefix(loaded.config.kafka.topicPrefix, options);
  return loaded;
}

/** The schema lets a prefix start with '.' or '_'; topic names must not, so say so now, not at first use. */
function assertUsablePrefix(prefix: string, options: Record<string, unknown>): void {
  try {
    topicNames(prefix);
  } catch {
    const fromFlag = options['prefix'] !== undefined;
    throw new ConfigError([
      {
        key: 'kafka.topicPrefix',
        source: fromFlag ? '--prefix' : 'KRAUL_KAFKA_TOPIC_PREFIX',
        value: prefix,
        reason: 'expected letters, digits, ".", "_" or "-", starting with a letter or digit',
      },
    ]);
  }
}

function readPem(what: string, path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsFileError(what, path, setting, error);
  }
}

/** The TLS options of the bus, certificate files read from disk; undefined when TLS is off. */
export function tlsOptions(tls: ConnectionConfig['kafka']['tls']): KafkaTlsOptions | undefined {
  const files = { ca: tls.ca, cert: tls.cert, key: tls.key };
  if (!tls.enabled) {
    const named = Object.entries(files).find(([, path]) => path !== undefined);
    if (named) {
      throw new CliUsageError(
        'cli.tls_off',
        `a TLS ${named[0]} file is set (--tls-${named[0]}) but TLS is off: add --tls or KRAUL_KAFKA_TLS_ENABLED=true`,
        { setting: `kafka.tls.${named[0]}` },
      );
    }
    return undefined;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new CliUsageError(
      'cli.tls_incomplete',
      'mutual TLS needs both a client certificate and its key: set --tls-cert and --tls-key (KRAUL_KAFKA_TLS_CERT, KRAUL_KAFKA_TLS_KEY)',
      {},
    );
  }
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca === undefined ? {} : { ca: readPem('CA', tls.ca, '--tls-ca / KRAUL_KAFKA_TLS_CA') }),
    ...(tls.cert === undefined
      ? {}
      : { cert: readPem('certificate', tls.cert, '--tls-cert / KRAUL_KAFKA_TLS_CERT') }),
    ...(tls.key === undefined ? {} : { key: readPem('key', tls.key, '--tls-key / KRAUL_KAFKA_TLS_KEY') }),
  };
}

/** The password in a secret file, without the line end most editors and `echo` add. */
function saslPasswordFromFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliUsageError(
      'cli.sasl_password_file_unreadable',
      `cannot read the SASL password file ${path} (--sasl-password-file / KRAUL_KAFKA_SASL_PASSWORD_FILE): ${reason}`,
      { path },
      { cause: error },
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') {
    throw new CliUsageError(
      'cli.sasl_password_file_empty',
      `the SASL password file ${path} (--sasl-password-file / KRAUL_KAFKA_SASL_PASSWORD_FILE) is empty`,
      { path },
    );
  }
  return password;
}

/** The Kafka bus options for a connection config (certificate and password files are read here). */
export function kafkaBusOptions(config: ConnectionConfig): ClusterBusOptions {
  const { kafka } = config;
  const tls = tlsOptions(kafka.tls);
  const { mechanism, username } = kafka.sasl;
  const password = kafka.sasl.password ?? saslPasswordFromFile(kafka.sasl.passwordFile);
  return {
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    client: kafka.client,
    groupProtocol: kafka.groupProtocol,
    compression: kafka.compression,
    ...(tls ? { tls } : {}),
    ...(mechanism && username && password
      ? {
          sasl: {
            mechanism: mechanism.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
            username,
            password,
          },
        }
      : {}),
  };
}

/**
 * Asks the brokers once, without retries, whether they accept this client's credentials
 * and certificates; rejects with a KafkaAccessError (one line naming the broker and the
 * cause) when they refuse them. Brokers that are down or starting pass: the clients'
 * own retries deal with them.
 */
export async function verifyKafkaAccess(config: ConnectionConfig): Promise<void> {
  const { checkKafkaAccess } = await import('@kraul/bus/kafka');
  await checkKafkaAccess(kafkaBusOptions(config));
}

/**
 * Opens the Kafka bus of a connection config, on the client it names (`--kafka-client`).
 * Nothing connects until a client is used. The Kafka clients load here, on first use, not
 * with this module: commands that never reach a cluster (`kraul run`) do without them.
 */
export async function openBus(
  config: ConnectionConfig,
  reporting: Pick<KafkaBusOptions, 'onTransientError' | 'onRecovered' | 'onHandlerError'> = {},
): Promise<Bus> {
  const { createClusterBus } = await import('@kraul/bus/kafka');
  return createClusterBus({ ...kafkaBusOptions(config), ...reporting });
}
