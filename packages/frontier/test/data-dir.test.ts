import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupId } from '@kraul/protocol';
import { PartitionSetupError } from '@kraul/runtime';
import { claimDataDir, DATA_DIR_MANIFEST, DataDirError } from '@kraul/store';
import { createMetricsRegistry } from '@kraul/telemetry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrontierWorker } from '../src/frontier-worker.ts';
import { makeJob, schedule, tempDir } from './fixtures.ts';
import { hostsOn, type MemoryCluster, silentLogger, startMemoryCluster } from './memory-cluster.ts';

let cluster: MemoryCluster;
let dir: ReturnType<typeof tempDir>;
let worker: FrontierWorker | undefined;

beforeEach(async () => {
  dir = tempDir('frontier-dir');
  cluster = await startMemoryCluster([makeJob()]);
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await cluster.close();
  dir.remove();
});

function frontier(dataDir: string): FrontierWorker {
  worker = new FrontierWorker({
    bus: cluster.bus,
    jobs: cluster.jobs,
    log: silentLogger(),
    metrics: createMetricsRegistry(),
    prefix: cluster.prefix,
    dataDir,
    feedIntervalMs: 20,
  });
  return worker;
}

describe('FrontierWorker data folder', () => {
  it('claims its folder with a manifest of its prefix', async () => {
    const dataDir = join(dir.path, 'state');
    await frontier(dataDir).start();
    const manifest = JSON.parse(readFileSync(join(dataDir, DATA_DIR_MANIFEST), 'utf8'));
    expect(manifest).toMatchObject({ prefix: cluster.prefix, version: 1 });
    expect(manifest.job).toBeUndefined();
  });

  it('refuses, before joining its group, the folder of another prefix', async () => {
    claimDataDir(dir.path, { prefix: 'other' });
    const start = frontier(dir.path).start();
    await expect(start).rejects.toBeInstanceOf(DataDirError);
    await expect(start).rejects.toThrow(`topic prefix "other", not "${cluster.prefix}"`);
    expect(readdirSync(dir.path)).toEqual([DATA_DIR_MANIFEST]);
    worker = undefined;
  });

  it('refuses a folder of foreign files and leaves them', async () => {
    writeFileSync(join(dir.path, 'notes.txt'), 'mine');
    await expect(frontier(dir.path).start()).rejects.toThrow(/files kraul did not write \(notes\.txt\)/);
    expect(readdirSync(dir.path)).toEqual(['notes.txt']);
    worker = undefined;
  });

  it('fails with the partition and path when a shard will not open, and applies nothing', async () => {
    claimDataDir(dir.path, { prefix: cluster.prefix });
    // Partition 2's database is damaged beyond what sqlite opens.
    writeFileSync(join(dir.path, 'frontier-2.sqlite'), 'this is not a sqlite database, not even its header');
    const [host] = hostsOn(2, 1);
    await cluster.sendDecisions(host!, [schedule(`https://${host}/a`)]);
    const role = frontier(dir.path);
    await role.start();
    const failure = await role.failed;
    expect(failure).toBeInstanceOf(PartitionSetupError);
    expect(failure.message).toContain(`could not take ${cluster.topics.schedule}:0`);
    expect(failure.message).toContain(
      `cannot open the shard store of partition 2 at ${join(dir.path, 'frontier-2.sqlite')}`,
    );
    expect(failure.context).toMatchObject({ partition: 2, path: join(dir.path, 'frontier-2.sqlite') });
    expect(role.failure).toBe(failure);
    // None of the assignment is served: the decision stays uncommitted for the next owner.
    expect(role.ownedPartitions()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lags = await cluster.admin.lag(groupId(cluster.prefix, 'frontier'), cluster.topics.schedule);
    expect(lags.find((lag) => lag.partition === 2)?.lag).toBe(1);
  });
});
