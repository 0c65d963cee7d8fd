import { type FrontierProgress, type Job, job as jobSchema } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { assessCompletion, type CompletionInput, jobCounts } from '../src/job-completion.ts';

const NOW = 1_800_000_000_000;
const job: Job = jobSchema.parse({
  type: 'job',
  id: 'docs',
  createdAt: NOW - 60_000,
  updatedAt: NOW - 60_000,
});

function report(
  partition: number,
  scheduleOffset: number,
  counts: Partial<FrontierProgress['jobs'][0]>[] = [],
): FrontierProgress {
  return {
    type: 'frontier.progress',
    partition,
    scheduleOffset,
    owner: 'test',
    at: NOW,
    jobs: counts.map((c) => ({ job: 'docs', queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0, ...c })),
  };
}

function input(overrides: Partial<CompletionInput> = {}): CompletionInput {
  return {
    job,
    eventsLag: 0,
    scheduleEnds: [10, 5],
    reports: [report(0, 10, [{ done: 7, failed: 1 }]), report(1, 5, [{ done: 3, dropped: 2 }])],
    emptyGraceMs: 30_000,
    now: NOW,
    ...overrides,
  };
}

describe('assessCompletion', () => {
  it('is done when every shard reported all schedule records and nothing is queued or in flight', () => {
    expect(assessCompletion(input())).toEqual({
      status: 'done',
      counts: { queued: 0, inflight: 0, done: 10, failed: 1, dropped: 2 },
      waitingFor: '',
    });
  });

  it('is running while the strategy has events to handle', () => {
    const completion = assessCompletion(input({ eventsLag: 3 }));
    expect(completion.status).toBe('running');
    expect(completion.waitingFor).toBe('3 events the strategy has not handled');
  });

  it('is running while a shard has not reported or its report predates schedule records', () => {
    expect(assessCompletion(input({ scheduleEnds: [10, 6] })).waitingFor).toMatch(/frontier shard 1 /);
    expect(assessCompletion(input({ scheduleEnds: [10, 5, 0] })).waitingFor).toMatch(/frontier shard 2 /);
    expect(assessCompletion(input({ reports: [] })).waitingFor).toMatch(/frontier shards 0, 1 /);
  });

  it('takes a shard that never committed as up to date only while its partition is empty', () => {
    expect(
      assessCompletion(input({ scheduleEnds: [10, 0], reports: [report(0, 10), report(1, -1)] })).status,
    ).toBe('done');
    expect(
      assessCompletion(input({ scheduleEnds: [10, 1], reports: [report(0, 10), report(1, -1)] })).status,
    ).toBe('running');
  });

  it('is running while a shard holds queued or leased URLs of the job', () => {
    const reports = [report(0, 10, [{ done: 7, inflight: 2 }]), report(1, 5, [{ queued: 4 }])];
    const completion = assessCompletion(input({ reports }));
    expect(completion).toMatchObject({ status: 'running', waitingFor: '4 queued, 2 in flight' });
  });

  it('ignores the counts of other jobs', () => {
    const other = report(1, 5, [{ queued: 4 }]);
    other.jobs[0]!.job = 'other';
    const completion = assessCompletion(input({ reports: [report(0, 10, [{ done: 1 }]), other] }));
    expect(completion.status).toBe('done');
  });

  it('waits for the first URL of a new job, but not for ever', () => {
    const fresh = { ...job, createdAt: NOW - 1_000 };
    const reports = [report(0, 10), report(1, 5)];
    expect(assessCompletion(input({ job: fresh, reports })).waitingFor).toBe('its first URL');
    expect(assessCompletion(input({ job: fresh, reports, now: NOW + 60_000 })).status).toBe('done');
  });

  it('reports paused and stopped jobs as such', () => {
    expect(assessCompletion(input({ job: { ...job, state: 'paused' } })).status).toBe('paused');
    expect(assessCompletion(input({ job: { ...job, state: 'stopped' }, eventsLag: 5 })).status).toBe(
      'stopped',
    );
  });
});

describe('jobCounts', () => {
  it('sums the newest report of every shard', () => {
    expect(
      jobCounts('docs', [report(0, 1, [{ queued: 1, done: 2 }]), report(1, 1, [{ inflight: 3 }])]),
    ).toEqual({
      queued: 1,
      inflight: 3,
      done: 2,
      failed: 0,
      dropped: 0,
    });
  });
});
