import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatRate } from '../src/index.ts';

describe('formatDuration', () => {
  it('scales from milliseconds to days', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(5 * 60_000 + 3_000)).toBe('5m 03s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 04h');
  });

  it('shows unknown durations as --', () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('--');
    expect(formatDuration(Number.NaN)).toBe('--');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});

describe('formatRate', () => {
  it('adapts precision to the size of the rate', () => {
    expect(formatRate(0.25)).toBe('0.25/s');
    expect(formatRate(12.345, 'pages')).toBe('12.3 pages/s');
    expect(formatRate(480.4, 'pages')).toBe('480 pages/s');
    expect(formatRate(Number.NaN, 'pages')).toBe('-- pages/s');
  });
});
