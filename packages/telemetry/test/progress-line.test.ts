import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressLine } from '../src/index.ts';
import { MemoryStream } from './memory-stream.ts';

describe('ProgressLine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints a plain line every nonTtyIntervalMs off a terminal', () => {
    const out = new MemoryStream();
    let pages = 0;
    const line = new ProgressLine({ stream: out, render: () => `${pages} pages` });
    line.start();
    pages = 5;
    vi.advanceTimersByTime(9_999);
    expect(out.text()).toBe('');

    vi.advanceTimersByTime(1);
    pages = 12;
    vi.advanceTimersByTime(10_000);
    expect(out.lines()).toEqual(['5 pages', '12 pages']);

    line.stop('done: 12 pages');
    vi.advanceTimersByTime(60_000);
    expect(out.lines()).toEqual(['5 pages', '12 pages', 'done: 12 pages']);
    expect(out.text()).not.toContain('\r');
  });

  it('honours a custom non-terminal interval', () => {
    const out = new MemoryStream();
    const line = new ProgressLine({ stream: out, nonTtyIntervalMs: 200, render: () => 'tick' });
    line.start();
    vi.advanceTimersByTime(1_000);
    line.stop();
    expect(out.lines()).toHaveLength(5);
  });

  it('rewrites one line in place on a terminal, cut to its width', () => {
    const out = new MemoryStream({ isTTY: true, columns: 12 });
    let n = 0;
    const line = new ProgressLine({
      stream: out,
      intervalMs: 500,
      render: () => `step ${++n} of many steps`,
    });
    line.start();
    vi.advanceTimersByTime(1_000);
    line.stop('finished');

    expect(out.chunks).toEqual([
      '\r\x1b[2Kstep 1 of m',
      '\r\x1b[2Kstep 2 of m',
      '\r\x1b[2Kstep 3 of m',
      '\r\x1b[2K',
      'finished\n',
    ]);
  });

  it('keeps a multi-line render on one terminal line, and start twice draws once', () => {
    const out = new MemoryStream({ isTTY: true });
    const line = new ProgressLine({ stream: out, render: () => 'a\nb' });
    line.start();
    line.start();
    line.stop();
    expect(out.chunks).toEqual(['\r\x1b[2Ka b', '\r\x1b[2K']);
  });
});
