import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.ts';
import { MemoryStream } from './memory-stream.ts';

describe('createLogger', () => {
  it('writes one JSON object per line with name, level and msg', () => {
    const out = new MemoryStream();
    const log = createLogger({ name: 'crawler', format: 'json', destination: out });
    log.info({ url: 'https://example.com/' }, 'page fetched');
    log.warn('slow host');

    const lines = out.lines().map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      name: 'crawler',
      level: 30,
      msg: 'page fetched',
      url: 'https://example.com/',
    });
    expect(lines[1]).toMatchObject({ name: 'crawler', level: 40, msg: 'slow host' });
  });

  it('serialises the code and context of a KraulError logged as err', () => {
    const out = new MemoryStream();
    const log = createLogger({ name: 'frontier', format: 'json', destination: out });
    const context = { url: 'https://example.com/a', topic: 'kraul.todo', partition: 3, offset: '42' };
    log.error({ err: new KraulError('fetch.timeout', 'request timed out', context) }, 'fetch failed');

    const [line] = out.lines().map((l) => JSON.parse(l));
    expect(line.msg).toBe('fetch failed');
    expect(line.err).toMatchObject({
      type: 'KraulError',
      message: 'request timed out',
      code: 'fetch.timeout',
      context,
    });
    expect(line.err.stack).toContain('request timed out');
  });

  it('still serialises plain errors', () => {
    const out = new MemoryStream();
    createLogger({ name: 'x', format: 'json', destination: out }).error(
      { err: new TypeError('bad') },
      'oops',
    );
    const [line] = out.lines().map((l) => JSON.parse(l));
    expect(line.err).toMatchObject({ type: 'TypeError', message: 'bad' });
    expect(line.err.code).toBeUndefined();
  });

  it('drops lines below the configured level', () => {
    const out = new MemoryStream();
    const log = createLogger({ name: 'x', level: 'warn', format: 'json', destination: out });
    log.info('hidden');
    log.debug('hidden too');
    log.error('shown');
    expect(out.lines().map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });

  it('defaults to JSON when the destination is not a terminal', () => {
    const out = new MemoryStream();
    createLogger({ name: 'strategy', destination: out }).info('hello');
    expect(JSON.parse(out.lines()[0]!)).toMatchObject({ name: 'strategy', msg: 'hello' });
  });

  it('writes human-readable text in pretty mode, error code included', () => {
    const out = new MemoryStream();
    const log = createLogger({ name: 'crawler', format: 'pretty', destination: out });
    log.info({ host: 'example.com' }, 'page fetched');
    log.error(
      { err: new KraulError('robots.denied', 'disallowed by robots.txt', { url: 'https://a.test/' }) },
      'skip',
    );

    const text = out.text();
    expect(() => JSON.parse(out.lines()[0]!)).toThrow();
    expect(text).toMatch(/INFO.*\(crawler\).*page fetched/);
    expect(text).toContain('host: "example.com"');
    expect(text).toContain('robots.denied');
    // Not a terminal: no colour codes.
    expect(text).not.toContain('\x1b[');
  });

  it('picks pretty output on its own when the destination is a terminal', () => {
    const out = new MemoryStream({ isTTY: true });
    createLogger({ name: 'cli', destination: out }).info('starting');
    expect(out.text()).toContain('starting');
    expect(() => JSON.parse(out.lines()[0]!)).toThrow();
  });
});
