import { describe, expect, it } from 'vitest';
import { kraulOn, testPrefix } from './cluster.ts';

describe('kraul topics and jobs on a real broker', () => {
  it('creates the topics once, reports them the second time, and describes them', async () => {
    const prefix = testPrefix('topics');
    const first = await kraulOn(prefix, ['topics', 'create', '--partitions', '3']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^created +${prefix}\\.todo +3 +1`, 'm'));
    expect(first.stdout).toMatch(
      new RegExp(`^created +${prefix}\\.jobs +1 +1 +cleanup\\.policy=compact$`, 'm'),
    );
    expect(first.stdout).toContain('6 topics created, 0 already there');

    const second = await kraulOn(prefix, ['topics', 'create', '--partitions', '3']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^exists +${prefix}\\.schedule +3`, 'm'));
    expect(second.stdout).toContain('0 topics created, 6 already there');

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
    expect(header?.split(/\s+/)).toEqual(['ID', 'STATE', 'SEEDS', 'SCOPE', 'CREATED']);
    expect(rest).toEqual([]);
    expect(row?.split(/\s+/).slice(0, 4)).toEqual(['docs', 'paused', 'https://example.com/docs/', 'host']);

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

  it('says how to create the topics when they are missing', async () => {
    const prefix = testPrefix('missing');
    const run = await kraulOn(prefix, ['job', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `kraul: topic ${prefix}.jobs does not exist: run \`kraul topics create --prefix ${prefix}\` first\n`,
    );
  });
});
