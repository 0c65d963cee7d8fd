import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { busSchema, ConfigError, kafkaConnectionSchema, loadConfig, telemetrySchema } from '../src/index.ts';

const serviceSchema = z.object({
  kafka: kafkaConnectionSchema,
  ...telemetrySchema.shape,
  ...busSchema.shape,
});

describe('shared schema fragments', () => {
  it('give a working local setup with no settings at all', () => {
    expect(loadConfig(serviceSchema, { env: {} }).config).toEqual({
      kafka: {
        brokers: ['127.0.0.1:9092'],
        client: 'platformatic',
        clientId: 'kraul',
        compression: 'snappy',
        topicPrefix: 'kraul',
        partitions: 12,
        groupProtocol: 'consumer',
        tls: { enabled: false, rejectUnauthorized: true },
        sasl: {},
      },
      logLevel: 'info',
      logFormat: 'auto',
      metricsHost: '0.0.0.0',
      bus: 'kafka',
    });
  });

  it('read the cluster settings from the environment', () => {
    const { config } = loadConfig(serviceSchema, {
      env: {
        KRAUL_KAFKA_BROKERS: 'k1.internal:9093,[::1]:9094',
        KRAUL_KAFKA_TOPIC_PREFIX: 'tenant-a',
        KRAUL_KAFKA_TLS_ENABLED: 'true',
        KRAUL_KAFKA_TLS_CA: 'certs/ca.pem',
        KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KRAUL_KAFKA_SASL_USERNAME: 'crawler',
        KRAUL_KAFKA_SASL_PASSWORD: 's3cret',
        KRAUL_METRICS_PORT: '9464',
        KRAUL_BUS: 'memory',
      },
    });
    expect(config.kafka.brokers).toEqual(['k1.internal:9093', '[::1]:9094']);
    expect(config.kafka.topicPrefix).toBe('tenant-a');
    expect(config.kafka.tls).toEqual({ enabled: true, ca: 'certs/ca.pem', rejectUnauthorized: true });
    expect(config.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'crawler',
      password: 's3cret',
    });
    expect(config.metricsPort).toBe(9464);
    expect(config.bus).toBe('memory');
  });

  it('require SASL credentials once a mechanism is set', () => {
    let error: unknown;
    try {
      loadConfig(serviceSchema, {
        env: { KRAUL_KAFKA_SASL_MECHANISM: 'plain', KRAUL_KAFKA_SASL_PASSWORD: 'pw' },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.split('\n').slice(1)).toEqual([
      '  KRAUL_KAFKA_SASL_USERNAME (kafka.sasl.username): required when a SASL mechanism is set',
    ]);
  });

  it('reject malformed brokers, prefixes and ports', () => {
    expect(() =>
      loadConfig(serviceSchema, {
        env: {
          KRAUL_KAFKA_BROKERS: 'localhost',
          KRAUL_KAFKA_TOPIC_PREFIX: 'a/b',
          KRAUL_METRICS_PORT: '70000',
        },
      }),
    ).toThrow(
      [
        'invalid configuration (3 problems):',
        '  KRAUL_KAFKA_BROKERS=localhost (kafka.brokers): item 1: expected host:port, e.g. 127.0.0.1:9092',
        '  KRAUL_KAFKA_TOPIC_PREFIX=a/b (kafka.topicPrefix): expected letters, digits, ".", "_" or "-" only',
        '  KRAUL_METRICS_PORT=70000 (metricsPort): expected an integer between 0 and 65535',
      ].join('\n'),
    );
  });
});
