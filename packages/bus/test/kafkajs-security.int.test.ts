import { readFileSync } from 'node:fs';
import { type ScriptedCluster, startScriptedCluster, tlsFile, uniqueName } from '@kraul/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusError } from '../src/errors.ts';
import type { KafkaBusOptions } from '../src/kafka/options.ts';
import { createKafkajsBus } from '../src/kafkajs/bus.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { waitFor } from './contract/wait-for.ts';

// A broker of this file's own, apart from the shared test broker: PLAINTEXT on 27092,
// SASL_PLAINTEXT on 27192, SSL on 27292, mutual TLS on 27392, SASL_SSL on 27492.
const PORT = 27_092;
const CONTROLLER_PORT = 28_093;
const USER = 'kraul';
const PASSWORD = 'kraul-secret';
const encoder = new TextEncoder();

describe('the kafkajs bus over authenticated and encrypted listeners of a real broker', {
  timeout: 120_000,
}, () => {
  let cluster: ScriptedCluster;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    cluster = await startScriptedCluster({ port: PORT, controllerPort: CONTROLLER_PORT, security: true });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  const pem = (name: 'ca.pem' | 'client.pem' | 'client.key' | 'other-ca.pem') =>
    readFileSync(tlsFile(cluster, name));

  const listeners: Record<string, () => Pick<KafkaBusOptions, 'brokers' | 'tls' | 'sasl'>> = {
    'SASL_PLAINTEXT with PLAIN': () => ({
      brokers: [cluster.listener(100)],
      sasl: { mechanism: 'PLAIN', username: USER, password: PASSWORD },
    }),
    'SASL_PLAINTEXT with SCRAM-SHA-256': () => ({
      brokers: [cluster.listener(100)],
      sasl: { mechanism: 'SCRAM-SHA-256', username: USER, password: PASSWORD },
    }),
    'SASL_PLAINTEXT with SCRAM-SHA-512': () => ({
      brokers: [cluster.listener(100)],
      sasl: { mechanism: 'SCRAM-SHA-512', username: USER, password: PASSWORD },
    }),
    'SSL (the broker verified against the test CA)': () => ({
      brokers: [cluster.listener(200)],
      tls: { ca: pem('ca.pem') },
    }),
    'mutual TLS (a client certificate the broker requires)': () => ({
      brokers: [cluster.listener(300)],
      tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') },
    }),
    'SASL_SSL with SCRAM-SHA-512': () => ({
      brokers: [cluster.listener(400)],
      tls: { ca: pem('ca.pem') },
      sasl: { mechanism: 'SCRAM-SHA-512', username: USER, password: PASSWORD },
    }),
  };

  for (const [name, settings] of Object.entries(listeners)) {
    it(`creates a topic, writes and reads back over ${name}`, async () => {
      const bus = createKafkajsBus({ clientId: uniqueName('kraul-test-kafkajs-secure'), ...settings() });
      cleanups.push(() => bus.close());
      const topic = uniqueName('kraul-test-kafkajs-secure');
      await bus.admin().createTopics([{ name: topic, partitions: 2 }]);
      const written = await bus
        .producer()
        .send(
          ['a.example', 'b.example', 'c.example'].map((key) => ({ topic, key, value: encoder.encode(key) })),
        );
      expect(written).toHaveLength(3);
      const member = await RecordingMember.start(bus, {
        groupId: uniqueName('kraul-test-kafkajs-secure'),
        topics: [topic],
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        maxWaitMs: 500,
      });
      await waitFor(() => member.records.length >= 3, `the 3 records over ${name}`);
      expect(member.records.map((record) => record.key).sort()).toEqual([
        'a.example',
        'b.example',
        'c.example',
      ]);
    });
  }

  it('fails with a BusError naming the refusal for a wrong password, and never shows the password', async () => {
    const wrong = 'not-the-secret-42';
    const bus = createKafkajsBus({
      brokers: [cluster.listener(100)],
      clientId: uniqueName('kraul-test-kafkajs-secure'),
      sasl: { mechanism: 'SCRAM-SHA-256', username: USER, password: wrong },
      retries: 1,
    });
    cleanups.push(() => bus.close());
    const error = await bus
      .admin()
      .describeTopics(['any'])
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(BusError);
    expect((error as Error).message).toMatch(/SASL|authentication/i);
    expect(
      JSON.stringify({ message: (error as Error).message, context: (error as BusError).context }),
    ).not.toContain(wrong);
  });

  it('fails with a BusError for a broker certificate signed by another CA', async () => {
    const bus = createKafkajsBus({
      brokers: [cluster.listener(200)],
      clientId: uniqueName('kraul-test-kafkajs-secure'),
      tls: { ca: pem('other-ca.pem') },
      retries: 1,
    });
    cleanups.push(() => bus.close());
    const error = await bus
      .admin()
      .describeTopics(['any'])
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(BusError);
    expect((error as Error).message).toMatch(/certificate/i);
  });
});
