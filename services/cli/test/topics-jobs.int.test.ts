import { describe, expect, it } from 'vitest';
import { kraulOn, testBus, testPrefix } from './cluster.ts';

describe('kraul topics and jobs on a real broker', () => {
  it('creates the topics once, reports them the second time, and describes them', async () => {
    const prefix = testPrefix('topics');
    const first = await kraulOn(prefix, ['topics', 'create', '--partitions', '3']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // The test broker is a single node: one replica, said so.
    expect(first.stdout).toContain('replication factor 1 (min(3, 1 broker)), min.insync.replicas 1\n');
    expect(first.stdout).toMatch(
      new RegExp(
        `^created +${prefix}\\.todo +3 +1 +retention 7d, min\\.insync\\.replicas 1, compression\\.type producer$`,
        'm',
      ),
    );
    expect(first.stdout).toMatch(new RegExp(`^created +${prefix}\\.jobs +1 +1 +compacted, `, 'm'));
    expect(first.stdout).toMatch(new RegExp(`^created +${prefix}\\.dlq +1 +1 +retention 30d, `, 'm'));
    expect(first.stdout).toContain('7 topics created, 0 already there');

    const second = await kraulOn(prefix, ['topics', 'create', '--partitions', '3']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^exists +${prefix}\\.schedule +3`, 'm'));
    expect(second.stdout).toContain('0 topics created, 7 already there');

    const described = await kraulOn(prefix, ['topics', 'describe']);
    expect(described.code).toBe(0);
    const rows = described.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/));
    expect(rows).toEqual([
      ['todo', `${prefix}.todo`, '3'],
      ['events', `${prefix}.events`, '3'],
      ['schedule', `${prefix}.schedule`, '3'],
      ['pages', `${prefix}.pages`, '3'],
      ['items', `${prefix}.items`, '3'],
      ['jobs', `${prefix}.jobs`, '1'],
      ['dlq', `${prefix}.dlq`, '1'],
    ]);
  });

  it('refuses a partition count that would split todo and schedule, creating nothing', async () => {
    const prefix = testPrefix('mismatch');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);
    const again = await kraulOn(prefix, ['topics', 'create', '--partitions', '4']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${prefix}.todo exists with 2 partitions, not 4`);
    expect(again.stderr).toContain('must have the same partition count');
    expect(again.stderr).toContain('--partitions 2');
    expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('creates a job, pauses it, lists it as paused and resumes it', async () => {
    const prefix = testPrefix('jobs');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);

    const created = await kraulOn(prefix, [
      'job',
      'create',
      'docs',
      '--seed',
      'https://example.com/docs/',
      '--scope',
      'host',
      '--max-pages',
      '100',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created job docs: 1 seed, scope host, depth 20, 100 pages');
    expect(created.stdout).toContain(`seeded 1 URL on ${prefix}.events`);

    const duplicate = await kraulOn(prefix, ['job', 'create', 'docs', '--seed', 'https://example.com/']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('job docs already exists');

    const paused = await kraulOn(prefix, ['job', 'pause', 'docs']);
    expect(paused).toMatchObject({ code: 0, stdout: 'job docs: active → paused\n' });

    const listed = await kraulOn(prefix, ['job', 'list']);
    expect(listed.code).toBe(0);
    const [header, row, ...rest] = listed.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'ID',
      'STATE',
      'QUEUED',
      'INFLIGHT',
      'DONE',
      'FAILED',
      'SEEDS',
      'SCOPE',
      'CREATED',
    ]);
    expect(rest).toEqual([]);
    // No frontier runs: no shard has reported counts.
    expect(row?.split(/\s+/).slice(0, 8)).toEqual([
      'docs',
      'paused',
      '0',
      '0',
      '0',
      '0',
      'https://example.com/docs/',
      'host',
    ]);

    // Paused, and no frontier to report: the wait runs out with its own exit code.
    const waited = await kraulOn(prefix, ['job', 'wait', 'docs', '--timeout', '1s']);
    expect(waited.code).toBe(3);
    expect(waited.stderr).toContain('job docs not done within 1000 ms: waiting for the job to be resumed');

    const resumed = await kraulOn(prefix, ['job', 'resume', 'docs']);
    expect(resumed).toMatchObject({ code: 0, stdout: 'job docs: paused → active\n' });
    const stopped = await kraulOn(prefix, ['job', 'stop', 'docs']);
    expect(stopped.code).toBe(0);
    const revived = await kraulOn(prefix, ['job', 'resume', 'docs']);
    expect(revived.code).toBe(1);
    expect(revived.stderr).toContain('job docs is stopped');

    const unknown = await kraulOn(prefix, ['job', 'pause', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`job nope does not exist on ${prefix}.jobs`);
  });

  it('refuses a replication factor the cluster cannot hold, creating nothing', async () => {
    const prefix = testPrefix('rf');
    const run = await kraulOn(prefix, ['topics', 'create', '--partitions', '2', '--replication-factor', '3']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '--replication-factor 3 needs 3 brokers, the cluster has 1. Nothing was created.',
    );
    expect((await kraulOn(prefix, ['topics', 'describe'])).stdout).toContain('missing');
  });

  it('warns in status about missing and misconfigured topics', async () => {
    const prefix = testPrefix('health');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);
    const healthy = await kraulOn(prefix, ['status']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).not.toContain('warning:');

    const bus = testBus();
    try {
      const admin = bus.admin();
      await admin.deleteTopics([`${prefix}.pages`]);
      // A jobs topic that keeps every record and one min.insync.replicas above its single replica.
      await admin.deleteTopics([`${prefix}.jobs`]);
      await admin.createTopics([
        { name: `${prefix}.jobs`, partitions: 1, config: { 'min.insync.replicas': '2' } },
      ]);
      await admin.close();
    } finally {
      await bus.close();
    }
    const warned = await kraulOn(prefix, ['status']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(`warning: missing topic ${prefix}.pages: run \`kraul topics create\`\n`);
    expect(warned.stdout).toContain(
      `warning: ${prefix}.jobs: min.insync.replicas 2 is above its replication factor 1: every write fails\n`,
    );
    expect(warned.stdout).toContain(`warning: ${prefix}.jobs is not compacted`);
  });

  it('waits for a job that does not exist only until the timeout', async () => {
    const prefix = testPrefix('nojob');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '1'])).code).toBe(0);
    const waited = await kraulOn(prefix, ['job', 'wait', 'ghost', '--timeout', '500ms']);
    expect(waited.code).toBe(3);
    expect(waited.stderr).toBe(`kraul: job ghost is not on ${prefix}.jobs\n`);
    const bad = await kraulOn(prefix, ['job', 'wait', 'ghost', '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout=soon');
  });

  it('says how to create the topics when they are missing', async () => {
    const prefix = testPrefix('missing');
    const run = await kraulOn(prefix, ['job', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `kraul: topic ${prefix}.jobs does not exist: run \`kraul topics create --prefix ${prefix}\` first\n`,
    );
  });
});
