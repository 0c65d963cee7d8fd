import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { ResolvedKafkaBusOptions } from '../kafka/options.ts';
import { registerCompressionCodecs } from './compression.ts';
import { dropKafkajsNegativeTimeoutWarning } from './negative-timeout-warning.ts';

/**
 * One kafkajs client (it only holds settings: every producer, consumer and admin made from
 * it opens its own connections), with the bus's TLS, SASL, timeouts and retries.
 */
export function createKafkajsClient(options: ResolvedKafkaBusOptions): Kafka {
  dropKafkajsNegativeTimeoutWarning();
  registerCompressionCodecs();
  return new Kafka(kafkajsConfig(options));
}

export function kafkajsConfig(options: ResolvedKafkaBusOptions): KafkaConfig {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: options.retries, initialRetryTime: options.retryDelayMs },
    // kafkajs logs at ERROR every attempt it then retries (a leader not known yet, a rebalance),
    // in its own format: noise on a user's terminal. What matters reaches the caller instead: a
    // failed send or start rejects, a consumer that gave up is reported by `onHandlerError`.
    logLevel: logLevel.NOTHING,
  };
  if (options.tls) {
    const { ca, cert, key, rejectUnauthorized } = options.tls;
    config.ssl = {
      rejectUnauthorized: rejectUnauthorized ?? true,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }
  if (options.sasl) config.sasl = saslOptions(options.sasl);
  return config;
}

function saslOptions({
  mechanism,
  username,
  password,
}: NonNullable<ResolvedKafkaBusOptions['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}
