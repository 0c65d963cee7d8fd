import { type ScriptedCluster, startScriptedCluster, uniqueName } from '@kraul/testkit';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterBus } from '../src/cluster-bus.ts';
import type { KafkaClientName } from '../src/cluster-options.ts';
import { ProduceError } from '../src/errors.ts';
import type { Bus, OutgoingRecord } from '../src/types.ts';
import { RecordingMember } from './contract/recording-member.ts';
import { waitFor } from './contract/wait-for.ts';

// A 3-node cluster of this file's own (client ports 27092-27094, controllers 28093-28095),
// apart from the shared test broker, so killing a node here disturbs no other test.
const PORT = 27_092;
const CONTROLLER_PORT = 28_093;
const PARTITIONS = 6;
const RECORDS = 30_000;
const BATCH = 500;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface FailoverFigures {
  client: KafkaClientName;
  batches: number;
  batchesAcknowledged: number;
  acknowledged: number;
  /** Acknowledged records the topic does not hold. */
  missing: number;
  /** Records the topic holds more than once. */
  writtenTwice: number;
  /** Records of failed batches that reached the topic all the same. */
  failedButWritten: number;
  killedNode: number;
  /** How the failed batches failed: error message → batches. */
  failures: Map<string, number>;
}

/** The leader node of every partition of a topic. */
async function leaders(brokers: string[], topic: string): Promise<number[]> {
  const admin = new Admin({ clientId: 'kraul-test-leaders', bootstrapBrokers: brokers, retries: 3 });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    return Array.from({ length: PARTITIONS }, (_, index) => partitions[index]?.leader ?? -1);
  } finally {
    await admin.close();
  }
}

/**
 * Sends RECORDS keyed records in batches of BATCH (acks=all, idempotent) on `client`,
 * SIGKILLs the node leading partition 0 a third of the way in, then reads the topic back
 * with a fresh group on the default client and compares it with what was acknowledged.
 */
async function runFailover(
  cluster: ScriptedCluster,
  client: KafkaClientName,
  onKill: (node: number) => void,
): Promise<FailoverFigures> {
  const topic = uniqueName(`kraul-test-failover-${client}`);
  const producerBus = createClusterBus({
    brokers: cluster.brokers,
    clientId: uniqueName(`kraul-test-failover-${client}`),
    client,
    retries: 10,
  });
  const readerBus: Bus = createClusterBus({
    brokers: cluster.brokers,
    clientId: uniqueName('kraul-test-reader'),
  });
  try {
    const admin = readerBus.admin();
    await admin.createTopics([
      { name: topic, partitions: PARTITIONS, replicationFactor: 3, config: { 'min.insync.replicas': '2' } },
    ]);
    const producer = producerBus.producer();
    const acknowledged = new Set<number>();
    const failed = new Set<number>();
    const failures = new Map<string, number>();
    const batches = RECORDS / BATCH;
    let batchesAcknowledged = 0;
    let killedNode = -1;
    let kill: Promise<void> | undefined;
    for (let batch = 0; batch < batches; batch += 1) {
      if (batch === Math.floor(batches / 3)) {
        killedNode = (await leaders(cluster.brokers, topic))[0]!;
        // Not awaited: the node dies while the next batches are on their way.
        onKill(killedNode);
        kill = cluster.killNode(killedNode);
      }
      const ids = Array.from({ length: BATCH }, (_, index) => batch * BATCH + index);
      const records = ids.map(
        (id): OutgoingRecord => ({
          topic,
          key: `host-${id % 1_000}.example`,
          value: encoder.encode(String(id)),
        }),
      );
      try {
        await producer.send(records);
        batchesAcknowledged += 1;
        for (const id of ids) acknowledged.add(id);
      } catch (error) {
        if (!(error instanceof ProduceError)) throw error;
        for (const id of ids) failed.add(id);
        failures.set(error.message, (failures.get(error.message) ?? 0) + 1);
      }
    }
    await kill;

    // Everything the topic holds now, read by a group that never read it before.
    const ends = await admin.lag(uniqueName('kraul-test-nobody'), topic);
    const total = ends.reduce((sum, partition) => sum + partition.logEnd, 0);
    const reader = await RecordingMember.start(readerBus, {
      groupId: uniqueName('kraul-test-failover-reader'),
      topics: [topic],
      maxWaitMs: 500,
    });
    await waitFor(() => reader.records.length >= total, `all ${total} records of ${topic} read back`, 90_000);
    const seen = new Map<number, number>();
    for (const record of reader.records) {
      const id = Number(decoder.decode(record.value));
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    return {
      client,
      batches,
      batchesAcknowledged,
      acknowledged: acknowledged.size,
      missing: [...acknowledged].filter((id) => !seen.has(id)).length,
      writtenTwice: [...seen.values()].filter((count) => count > 1).length,
      failedButWritten: [...failed].filter((id) => seen.has(id)).length,
      killedNode,
      failures,
    };
  } finally {
    await producerBus.close().catch(() => {});
    await readerBus.close().catch(() => {});
  }
}

function report(figures: FailoverFigures): void {
  console.info(
    `[broker failover: ${figures.client}] node ${figures.killedNode} (leader of partition 0) SIGKILLed after a third;` +
      ` batches acknowledged ${figures.batchesAcknowledged}/${figures.batches},` +
      ` acknowledged records ${figures.acknowledged}, acknowledged but missing ${figures.missing},` +
      ` written twice ${figures.writtenTwice}, of failed batches written anyway ${figures.failedButWritten}` +
      [...figures.failures]
        .map(([message, batches]) => `; ${batches} batch(es) failed with: ${message}`)
        .join(''),
  );
}

describe('a partition leader SIGKILLed while 30,000 records are sent with acks=all', {
  timeout: 180_000,
}, () => {
  let cluster: ScriptedCluster | undefined;
  let killed: number | undefined;

  beforeAll(async () => {
    cluster = await startScriptedCluster({ port: PORT, controllerPort: CONTROLLER_PORT, nodes: 3 });
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  /** The cluster with all three nodes up: the node the previous test killed starts again. */
  async function fullCluster(): Promise<ScriptedCluster> {
    if (cluster === undefined) throw new Error('the 3-node cluster did not start');
    if (killed !== undefined) {
      await cluster.startNode(killed);
      killed = undefined;
    }
    return cluster;
  }

  it('loses no acknowledged record on the default client (@platformatic/kafka)', async () => {
    const figures = await runFailover(await fullCluster(), 'platformatic', (node) => {
      killed = node;
    });
    report(figures);
    expect(figures.killedNode).toBeGreaterThan(0);
    expect(figures.acknowledged).toBeGreaterThan(0);
    expect(figures.missing).toBe(0);
  });

  it('measures what kafkajs loses', async () => {
    const figures = await runFailover(await fullCluster(), 'kafkajs', (node) => {
      killed = node;
    });
    report(figures);
    // kafkajs is known to lose acknowledged records here (docs/kafka-clients.md): the figure
    // is measured and printed, not asserted; the run itself must have happened.
    expect(figures.killedNode).toBeGreaterThan(0);
    expect(figures.acknowledged).toBeGreaterThan(0);
  });
});
