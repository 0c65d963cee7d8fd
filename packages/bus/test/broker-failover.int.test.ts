import { type ScriptedCluster, startScriptedCluster, uniqueName } from '@kraul/testkit';
import { Admin, type API, type Connection, kGetApi, kGetBootstrapConnection } from '@platformatic/kafka';
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

/** The node coordinating a consumer group (FindCoordinator, as a member asks it). */
async function coordinatorOf(brokers: string[], groupId: string): Promise<number> {
  const admin = new Admin({ clientId: 'kraul-test-coordinator', bootstrapBrokers: brokers, retries: 3 });
  try {
    const connection = await new Promise<Connection>((resolve, reject) => {
      admin[kGetBootstrapConnection]((error, found) => (error || !found ? reject(error) : resolve(found)));
    });
    const api = await new Promise<API<unknown[], unknown>>((resolve, reject) => {
      admin[kGetApi]<unknown[], unknown>('FindCoordinator', (error, found) =>
        error || !found ? reject(error) : resolve(found),
      );
    });
    const response = (await api.async(connection, 0, [groupId])) as { coordinators: { nodeId: number }[] };
    return response.coordinators[0]?.nodeId ?? -1;
  } finally {
    await admin.close();
  }
}

function record(topic: string, partition: number, value: string): OutgoingRecord {
  return { topic, key: null, partition, value: encoder.encode(value) };
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

  it('holds up and fails only the sends to a dead broker: the others are written at once, each once', async () => {
    const live = await fullCluster();
    const topic = uniqueName('kraul-test-merged-failover');
    const bus = createClusterBus({
      brokers: live.brokers,
      clientId: uniqueName('kraul-test-merged'),
      retries: 2,
    });
    try {
      // One replica per partition: a partition whose node dies has no leader until it returns.
      const admin = bus.admin();
      await admin.createTopics([{ name: topic, partitions: 3, replicationFactor: 1 }]);
      let leaderOf: number[] = [];
      await waitFor(async () => {
        leaderOf = await leaders(live.brokers, topic);
        return leaderOf.slice(0, 3).every((leader) => leader > 0);
      }, `a leader for every partition of ${topic}`);
      const deadPartition = 0;
      const livePartition = leaderOf.findIndex((leader, index) => index > 0 && leader !== leaderOf[0]);
      expect(livePartition).toBeGreaterThan(0);
      const producer = bus.producer();
      // The producer's id and the metadata fetched while every node is up (a fresh cluster may
      // still be loading its coordinators), so each send below is placed at once.
      let warm = false;
      await waitFor(
        async () => {
          if (!warm)
            warm = await producer.send([record(topic, livePartition, 'warm-up')]).then(
              () => true,
              () => false,
            );
          return warm;
        },
        'a first record written',
        60_000,
        500,
      );
      killed = leaderOf[deadPartition]!;
      await live.killNode(killed);

      // The first send (to the dead partition) holds its broker's lane while it retries; the
      // send to the live partition does not wait for it, and the third queues behind it. A send
      // with records for both goes out to both, and fails for the dead one's sake.
      const order: string[] = [];
      const tracked = (name: string, sent: Promise<unknown>) =>
        sent.finally(() => {
          order.push(name);
        });
      const sends = [
        tracked('first', producer.send([record(topic, deadPartition, 'first')])),
        tracked('merged-live', producer.send([record(topic, livePartition, 'merged-live')])),
        tracked('merged-dead', producer.send([record(topic, deadPartition, 'merged-dead')])),
        tracked(
          'both',
          producer.send([
            record(topic, livePartition, 'both-live'),
            record(topic, deadPartition, 'both-dead'),
          ]),
        ),
      ];
      const settled = await Promise.allSettled(sends);
      const [first, mergedLive, mergedDead, both] = [settled[0]!, settled[1]!, settled[2]!, settled[3]!];
      expect(order[0]).toBe('merged-live');
      expect(first.status).toBe('rejected');
      expect(both.status).toBe('rejected');
      expect(mergedDead.status).toBe('rejected');
      expect((mergedDead as PromiseRejectedResult).reason).toBeInstanceOf(ProduceError);
      expect(mergedLive.status, String((mergedLive as PromiseRejectedResult).reason)).toBe('fulfilled');
      const [written] = (mergedLive as PromiseFulfilledResult<{ partition: number; offset: number }[]>).value;
      expect(written?.partition).toBe(livePartition);

      // The live partition holds its record once, at the offset the send was told; the dead
      // one holds nothing (read once its node is back).
      expect(written?.offset).toBe(1);
      await live.startNode(killed);
      killed = undefined;
      let ends: number[] = [];
      await waitFor(async () => {
        try {
          ends = (await admin.lag(uniqueName('kraul-test-nobody'), topic)).map((p) => p.logEnd);
          return true;
        } catch {
          return false;
        }
      }, `the log ends of ${topic} with every node up`);
      // warm-up, merged-live and the live half of the send to both: each once.
      expect(ends[livePartition]).toBe(3);
      expect(ends[deadPartition]).toBe(0);
    } finally {
      await bus.close();
    }
  });

  it('keeps a member in its group when a broker dies while the coordinator has commits to write: nothing revoked, nothing redelivered', async () => {
    const live = await fullCluster();
    const topic = uniqueName('kraul-test-coordinator-failover');
    const groupId = uniqueName('kraul-test-coordinator-group');
    const bus = createClusterBus({ brokers: live.brokers, clientId: uniqueName('kraul-test-coordinator') });
    try {
      await bus.admin().createTopics([{ name: topic, partitions: 4, replicationFactor: 3 }]);
      const producer = bus.producer();
      const send = (from: number) =>
        producer.send(Array.from({ length: 20 }, (_, i) => record(topic, i % 4, `r${from + i}`)));
      await waitFor(
        () =>
          send(0).then(
            () => true,
            () => false,
          ),
        'the first records written',
        60_000,
        500,
      );
      // Each batch committed as soon as it arrives, as the roles do once its work is done. The
      // session outlasts the controller's 2 s detection of the dead node by 2 s: the roles' own
      // 2.5 s leave half a second, too little to assert on with three brokers on two loaded cores.
      const member = await RecordingMember.start(
        bus,
        { groupId, topics: [topic], sessionTimeoutMs: 4_000 },
        {
          onBatch: (batch, self) =>
            self.consumer.commit([
              { topic, partition: batch.partition, offset: batch.records.at(-1)!.offset + 1 },
            ]),
        },
      );
      await waitFor(() => member.records.length >= 20, 'the first 20 records consumed');
      // A record every 50 ms across the kill, each committed on arrival: the coordinator has
      // commits to write when another node dies, and answers nothing (heartbeats included)
      // until the dead node has left the in-sync replicas of __consumer_offsets.
      const acknowledged = new Set<string>();
      let ticking = true;
      const ticker = (async () => {
        for (let n = 0; ticking; n += 1) {
          const value = `t${n}`;
          void producer.send([record(topic, n % 4, value)]).then(
            () => acknowledged.add(value),
            () => {},
          );
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const coordinator = await coordinatorOf(live.brokers, groupId);
      expect(coordinator).toBeGreaterThan(0);
      killed = [1, 2, 3].find((node) => node !== coordinator)!;
      await live.killNode(killed);
      // The controller notices the dead node after broker.session.timeout.ms (2 s); the
      // coordinator's answers wait until then, and the member's session must outlast it.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      ticking = false;
      await ticker;
      await waitFor(
        () =>
          send(20).then(
            () => true,
            () => false,
          ),
        'more records written with the node down',
        60_000,
        500,
      );
      const values = () => member.records.map((r) => decoder.decode(r.value ?? new Uint8Array()));
      await waitFor(
        () => [...acknowledged, 'r39'].every((value) => values().includes(value)),
        'every acknowledged record consumed',
      );
      // Never expelled: no revocation, every partition still owned, each record once (an
      // expelled member gets what it consumed since its last commit again).
      expect(member.revoked).toEqual([]);
      expect(member.consumer.assignment()).toHaveLength(4);
      expect(acknowledged.size).toBeGreaterThan(50);
      expect(values().length - new Set(values()).size).toBe(0);
      await member.consumer.close();
    } finally {
      await bus.close();
    }
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
