import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBus, KafkajsBus } from '@kraul/bus/kafka';
import { ConfigError } from '@kraul/config';
import { describe, expect, it } from 'vitest';
import { kafkaBusOptions, loadConnectionConfig, openBus } from '../src/connection.ts';
import { CliUsageError, TlsFileError } from '../src/errors.ts';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('connection settings', () => {
  it('default to a local broker and the kraul prefix', () => {
    const { config } = loadConnectionConfig({}, {});
    expect(config.kafka).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'kraul',
      partitions: 12,
    });
    // Unset: `topics create` picks min(3, brokers).
    expect(config.kafka.replicationFactor).toBeUndefined();
  });

  it("read the services' KRAUL_KAFKA_* variables, and flags win over them", () => {
    const { config } = loadConnectionConfig(
      { prefix: 'from-flag', partitions: '6' },
      {
        KRAUL_KAFKA_BROKERS: 'k1:9092,k2:9092',
        KRAUL_KAFKA_TOPIC_PREFIX: 'from-env',
        KRAUL_KAFKA_REPLICATION_FACTOR: '3',
      },
    );
    expect(config.kafka).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      topicPrefix: 'from-flag',
      partitions: 6,
      replicationFactor: 3,
    });
  });

  it('name every bad value by the flag or variable it came from', () => {
    const error = configError(() =>
      loadConnectionConfig(
        { partitions: 'abc', brokers: 'no-port' },
        { KRAUL_KAFKA_REPLICATION_FACTOR: '0' },
      ),
    );
    const sources = error.problems.map((problem) => problem.source);
    expect(sources).toEqual(
      expect.arrayContaining(['--partitions', '--brokers', 'KRAUL_KAFKA_REPLICATION_FACTOR']),
    );
    expect(error.message).toContain('--partitions=abc (kafka.partitions): expected an integer >= 1');
  });

  it('refuse a prefix topic names cannot start with', () => {
    const error = configError(() => loadConnectionConfig({ prefix: '.hidden' }, {}));
    expect(error.problems).toEqual([
      expect.objectContaining({ source: '--prefix', value: '.hidden', key: 'kafka.topicPrefix' }),
    ]);
  });

  it('map TLS and SASL flags to the bus options, reading the certificate files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kraul-cli-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const { config } = loadConnectionConfig(
      {
        tls: true,
        tlsCa: join(dir, 'ca.pem'),
        tlsInsecure: true,
        saslMechanism: 'scram-sha-512',
        saslUsername: 'crawler',
      },
      { KRAUL_KAFKA_SASL_PASSWORD: 's3cret' },
    );
    const options = kafkaBusOptions(config);
    expect(options.tls?.rejectUnauthorized).toBe(false);
    expect(String(options.tls?.ca)).toBe('CA PEM');
    expect(options.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'crawler', password: 's3cret' });
  });

  it('name an unreadable certificate file and the setting that points to it', () => {
    const { config } = loadConnectionConfig({ tls: true, tlsCa: '/nonexistent/ca.pem' }, {});
    expect(() => kafkaBusOptions(config)).toThrow(TlsFileError);
    expect(() => kafkaBusOptions(config)).toThrow(
      /TLS CA file \/nonexistent\/ca\.pem \(--tls-ca \/ KRAUL_KAFKA_TLS_CA\)/,
    );
  });

  it('refuse certificate files while TLS is off, and a certificate without its key', () => {
    const off = loadConnectionConfig({ tlsCa: 'ca.pem' }, {}).config;
    expect(() => kafkaBusOptions(off)).toThrow(CliUsageError);
    expect(() => kafkaBusOptions(off)).toThrow(/TLS is off/);
    const half = loadConnectionConfig({ tls: true, tlsCert: 'client.pem' }, {}).config;
    expect(() => kafkaBusOptions(half)).toThrow(/both a client certificate and its key/);
  });

  it('choose the Kafka client with KRAUL_KAFKA_CLIENT or --kafka-client, @platformatic/kafka by default', async () => {
    const byDefault = loadConnectionConfig({}, {}).config;
    expect(byDefault.kafka.client).toBe('platformatic');
    expect(kafkaBusOptions(byDefault).client).toBe('platformatic');
    const fromEnv = loadConnectionConfig({}, { KRAUL_KAFKA_CLIENT: 'kafkajs' }).config;
    expect(kafkaBusOptions(fromEnv).client).toBe('kafkajs');
    const flagWins = loadConnectionConfig(
      { kafkaClient: 'platformatic' },
      { KRAUL_KAFKA_CLIENT: 'kafkajs' },
    ).config;
    expect(flagWins.kafka.client).toBe('platformatic');

    // Opening a bus connects nothing: the chosen client's bus, closed at once.
    const kafkajs = await openBus(fromEnv);
    const platformatic = await openBus(byDefault);
    expect(kafkajs).toBeInstanceOf(KafkajsBus);
    expect(platformatic).toBeInstanceOf(KafkaBus);
    await Promise.all([kafkajs.close(), platformatic.close()]);
  });

  it('name a Kafka client it does not know by the flag or variable it came from', () => {
    const fromFlag = configError(() => loadConnectionConfig({ kafkaClient: 'rdkafka' }, {}));
    expect(fromFlag.problems).toEqual([
      expect.objectContaining({ source: '--kafka-client', value: 'rdkafka', key: 'kafka.client' }),
    ]);
    const fromEnv = configError(() => loadConnectionConfig({}, { KRAUL_KAFKA_CLIENT: 'node-rdkafka' }));
    expect(fromEnv.problems).toEqual([
      expect.objectContaining({ source: 'KRAUL_KAFKA_CLIENT', key: 'kafka.client' }),
    ]);
  });
});
