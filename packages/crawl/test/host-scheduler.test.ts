import { describe, expect, it } from 'vitest';
import { type HostRun, HostScheduler, type RunOutcome } from '../src/host-scheduler.ts';

interface Event {
  host: string;
  task: number;
  start: number;
  end: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; a slow machine only makes it poll longer. */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met');
    await sleep(5);
  }
}

/** A clock for the scheduler that moves only when told: its decisions no longer depend on this machine's speed. */
function manualClock() {
  let time = 0;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function recorder(durationMs: number, outcome: (task: number) => RunOutcome = () => 'done') {
  const events: Event[] = [];
  const running = new Map<string, number>();
  let maxGlobal = 0;
  let global = 0;
  const maxPerHost = new Map<string, number>();
  return {
    events,
    maxGlobal: () => maxGlobal,
    maxPerHost,
    run: async (task: number, host: string): Promise<RunOutcome> => {
      const start = performance.now();
      global += 1;
      maxGlobal = Math.max(maxGlobal, global);
      running.set(host, (running.get(host) ?? 0) + 1);
      maxPerHost.set(host, Math.max(maxPerHost.get(host) ?? 0, running.get(host)!));
      await sleep(durationMs);
      running.set(host, running.get(host)! - 1);
      global -= 1;
      events.push({ host, task, start, end: performance.now() });
      return outcome(task);
    },
  };
}

describe('HostScheduler', () => {
  it('keeps per-host concurrency and the delay between the end of one request and the next', async () => {
    const rec = recorder(20);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 8 });
    for (let i = 0; i < 6; i++) scheduler.push('a', i, { delayMs: 50, concurrency: 1 });
    await scheduler.idle();
    expect(rec.maxPerHost.get('a')).toBe(1);
    const a = rec.events.filter((e) => e.host === 'a');
    expect(a.map((e) => e.task)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 1; i < a.length; i++) expect(a[i]!.start - a[i - 1]!.end).toBeGreaterThanOrEqual(49);
  });

  it('lets a host run several requests at once when its concurrency allows', async () => {
    const rec = recorder(40);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 8 });
    for (let i = 0; i < 9; i++) scheduler.push('a', i, { delayMs: 0, concurrency: 3 });
    await scheduler.idle();
    expect(rec.maxPerHost.get('a')).toBe(3);
  });

  it('never lets a host waiting out its delay block other hosts', async () => {
    // The scheduler's clock stands still: the slow host's delay cannot pass however slow this
    // machine is, so the fast host's tasks all run in its one slot meanwhile.
    const clock = manualClock();
    const rec = recorder(5);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 1, now: clock.now });
    scheduler.push('slow', 0, { delayMs: 400, concurrency: 1 });
    scheduler.push('slow', 1, { delayMs: 400, concurrency: 1 });
    for (let i = 10; i < 15; i++) scheduler.push('fast', i, { delayMs: 0, concurrency: 1 });
    await until(() => rec.events.length === 6);
    expect(rec.events.map((e) => e.task).sort((a, b) => a - b)).toEqual([0, 10, 11, 12, 13, 14]);
    // Once the delay has passed on the scheduler's clock, the slow host's second task runs.
    clock.advance(400);
    await scheduler.idle();
    expect(rec.events.map((e) => e.task).at(-1)).toBe(1);
  });

  it('respects the global cap over many hosts', async () => {
    const rec = recorder(20);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 4 });
    for (let h = 0; h < 12; h++)
      for (let i = 0; i < 3; i++) scheduler.push(`h${h}`, h * 10 + i, { delayMs: 0, concurrency: 2 });
    await scheduler.idle();
    expect(rec.maxGlobal()).toBe(4);
    expect(rec.events).toHaveLength(36);
  });

  it('serves hosts round-robin', async () => {
    const rec = recorder(1);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 1 });
    for (let i = 0; i < 3; i++) {
      scheduler.push('a', i, { delayMs: 0, concurrency: 1 });
      scheduler.push('b', 10 + i, { delayMs: 0, concurrency: 1 });
    }
    await scheduler.idle();
    const hosts = rec.events.map((e) => e.host).join('');
    expect(hosts).toMatch(/^(ab){3}$|^(ba){3}$|^a(ba){2}b$|^b(ab){2}a$/);
  });

  it("serves a host with nothing ended first, then the one furthest from done, by the frontier's count", async () => {
    const rec = recorder(1);
    const scheduler = new HostScheduler<number>({ run: rec.run, globalConcurrency: 1 });
    const polite = { delayMs: 0, concurrency: 1 };
    // The first push starts at once; the rest wait for the one slot.
    scheduler.push('nearly-done', 0, polite, { done: 55, left: 5 });
    scheduler.push('nearly-done', 1, polite, { done: 55, left: 5 });
    scheduler.push('found-late', 10, polite, { done: 3, left: 40 });
    scheduler.push('just-found', 20, polite, { done: 0, left: 1 });
    scheduler.push('found-late', 11, polite, { done: 3, left: 40 });
    await scheduler.idle();
    expect(rec.events.map((e) => e.task)).toEqual([0, 20, 10, 11, 1]);
  });

  it("runs a task 'again' at the head of its queue after the host's delay", async () => {
    let first = true;
    const rec = recorder(5, (task) => {
      if (task === 0 && first) {
        first = false;
        return 'again';
      }
      return 'done';
    });
    const scheduler = new HostScheduler<number>({ run: rec.run });
    scheduler.push('a', 0, { delayMs: 60, concurrency: 1 });
    scheduler.push('a', 1, { delayMs: 60, concurrency: 1 });
    await scheduler.idle();
    expect(rec.events.map((e) => e.task)).toEqual([0, 0, 1]);
    expect(rec.events[1]!.start - rec.events[0]!.end).toBeGreaterThanOrEqual(59);
  });

  it('holds a host for a Retry-After and removes queued tasks on demand', async () => {
    const rec = recorder(5);
    const scheduler = new HostScheduler<number>({ run: rec.run });
    scheduler.push('a', 0, { delayMs: 0, concurrency: 1 });
    await sleep(20);
    scheduler.holdHost('a', 150);
    const heldAt = performance.now();
    for (let i = 1; i <= 4; i++) scheduler.push('a', i, { delayMs: 0, concurrency: 1 });
    expect(scheduler.remove((task) => task % 2 === 0)).toEqual([2, 4]);
    expect(scheduler.queued).toBe(2);
    await scheduler.idle();
    expect(rec.events.map((e) => e.task)).toEqual([0, 1, 3]);
    expect(rec.events[1]!.start - heldAt).toBeGreaterThanOrEqual(145);
  });

  it("does not make a host wait its delay after a 'skipped' run (no request went out)", async () => {
    const clock = manualClock();
    const rec = recorder(5, (task) => (task < 3 ? 'skipped' : 'done'));
    const runs: HostRun<number>[] = [];
    const scheduler = new HostScheduler<number>({
      run: rec.run,
      now: clock.now,
      onRun: (run) => runs.push(run),
    });
    for (let i = 0; i < 5; i++) scheduler.push('a', i, { delayMs: 300, concurrency: 1 });
    // Three skipped runs back to back, then the first real request, all while the scheduler's
    // clock stands still: no delay ran for the skipped ones.
    await until(() => runs.length === 4);
    expect(runs.map((run) => [run.task, run.startedAt])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    // The delay runs after the real request: task 4 waits for the clock to pass it.
    clock.advance(299);
    await sleep(350);
    expect(runs).toHaveLength(4);
    clock.advance(1);
    await scheduler.idle();
    expect(runs.map((run) => run.task)).toEqual([0, 1, 2, 3, 4]);
    expect(runs[4]!.startedAt).toBe(300);
  });

  it('close drops the queue and leaves no timers', async () => {
    const rec = recorder(5);
    const scheduler = new HostScheduler<number>({ run: rec.run });
    scheduler.push('a', 0, { delayMs: 10_000, concurrency: 1 });
    scheduler.push('a', 1, { delayMs: 10_000, concurrency: 1 });
    await sleep(20);
    expect(scheduler.close()).toEqual([1]);
    await scheduler.idle();
    expect(scheduler.hosts).toBe(0);
  });
});
