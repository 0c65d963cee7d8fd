import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  byteSize,
  duration,
  formatByteSize,
  formatDurationSetting,
  loadConfig,
  parseByteSize,
  parseDuration,
} from '../src/index.ts';

describe('durations', () => {
  it('parses units and plain milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration(750)).toBe(750);
  });

  it('rejects what it cannot read', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('10 minutes')).toBeUndefined();
    expect(parseDuration('-5s')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });

  it('formats the shortest exact form', () => {
    expect(formatDurationSetting(10_000)).toBe('10s');
    expect(formatDurationSetting(300_000)).toBe('5m');
    expect(formatDurationSetting(1500)).toBe('1500ms');
    expect(formatDurationSetting(0)).toBe('0ms');
  });

  it('validates as a schema, reporting unreadable text in plain words', () => {
    const schema = z.object({ delay: duration().default(1000) });
    expect(loadConfig(schema, { env: { KRAUL_DELAY: '3s' } }).config.delay).toBe(3000);
    expect(() => loadConfig(schema, { env: { KRAUL_DELAY: 'later' } })).toThrow(
      'KRAUL_DELAY=later (delay): expected a duration such as 500ms, 10s, 5m or 1h',
    );
  });
});

describe('byte sizes', () => {
  it('parses decimal and binary units and plain bytes', () => {
    expect(parseByteSize('10MB')).toBe(10_000_000);
    expect(parseByteSize('512KiB')).toBe(524_288);
    expect(parseByteSize('1.5GiB')).toBe(1_610_612_736);
    expect(parseByteSize('2 mib')).toBe(2_097_152);
    expect(parseByteSize('100B')).toBe(100);
    expect(parseByteSize('4096')).toBe(4096);
    expect(parseByteSize(2048)).toBe(2048);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('5XB')).toBeUndefined();
  });

  it('formats the shortest exact form, binary units first', () => {
    expect(formatByteSize(10 * 1024 * 1024)).toBe('10MiB');
    expect(formatByteSize(5_000_000)).toBe('5MB');
    expect(formatByteSize(1023)).toBe('1023B');
  });

  it('validates as a schema', () => {
    const schema = z.object({ maxBody: byteSize().default(1024) });
    expect(loadConfig(schema, { env: { KRAUL_MAX_BODY: '8MiB' } }).config.maxBody).toBe(8_388_608);
    expect(() => loadConfig(schema, { env: { KRAUL_MAX_BODY: 'big' } })).toThrow(
      'KRAUL_MAX_BODY=big (maxBody): expected a size such as 512KiB, 10MB or a number of bytes',
    );
  });
});
