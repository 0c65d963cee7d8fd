import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, duration, loadConfig } from '../src/index.ts';

const schema = z.object({
  maxPagesPerHost: z.int().min(1).default(1000),
  userAgent: z.string().default('kraul'),
  respectRobots: z.boolean().default(true),
  seeds: z.array(z.string()).default([]),
  ports: z.array(z.int()).default([]),
  mode: z.enum(['fast', 'polite']).default('polite'),
  headers: z.record(z.string(), z.string()).optional(),
  crawler: z.object({
    concurrency: z.number().min(1).default(8),
    timeout: duration().default(30_000),
  }),
});

function expectConfigError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the defaults when nothing is set', () => {
    const { config, warnings } = loadConfig(schema, { env: {} });
    expect(config).toEqual({
      maxPagesPerHost: 1000,
      userAgent: 'kraul',
      respectRobots: true,
      seeds: [],
      ports: [],
      mode: 'polite',
      crawler: { concurrency: 8, timeout: 30_000 },
    });
    expect(warnings).toEqual([]);
  });

  it('maps env vars to camelCase paths and reads each as its type', () => {
    const { config } = loadConfig(schema, {
      env: {
        KRAUL_MAX_PAGES_PER_HOST: '50',
        KRAUL_USER_AGENT: 'kraul-test/1.0 (+https://example.com/bot)',
        KRAUL_RESPECT_ROBOTS: 'no',
        KRAUL_SEEDS: 'https://a.test/, https://b.test/',
        KRAUL_PORTS: '80,8080',
        KRAUL_MODE: 'fast',
        KRAUL_HEADERS: '{"accept-language":"en"}',
        KRAUL_CRAWLER_CONCURRENCY: '2.5',
        KRAUL_CRAWLER_TIMEOUT: '5m',
        PATH: '/usr/bin',
      },
    });
    expect(config).toEqual({
      maxPagesPerHost: 50,
      userAgent: 'kraul-test/1.0 (+https://example.com/bot)',
      respectRobots: false,
      seeds: ['https://a.test/', 'https://b.test/'],
      ports: [80, 8080],
      mode: 'fast',
      headers: { 'accept-language': 'en' },
      crawler: { concurrency: 2.5, timeout: 300_000 },
    });
  });

  it('reads every boolean spelling', () => {
    const read = (text: string) =>
      loadConfig(schema, { env: { KRAUL_RESPECT_ROBOTS: text } }).config.respectRobots;
    expect(['true', 'TRUE', '1', 'yes', 'on'].map(read)).toEqual([true, true, true, true, true]);
    expect(['false', '0', 'No', 'off'].map(read)).toEqual([false, false, false, false]);
  });

  it('reads a JSON array for a list and treats an empty variable as unset', () => {
    const { config } = loadConfig(schema, { env: { KRAUL_SEEDS: '["a,b", "c"]', KRAUL_USER_AGENT: '' } });
    expect(config.seeds).toEqual(['a,b', 'c']);
    expect(config.userAgent).toBe('kraul');
  });

  it('lets flags override env, with dotted keys or nested objects', () => {
    const env = { KRAUL_CRAWLER_CONCURRENCY: '4', KRAUL_MODE: 'fast', KRAUL_CRAWLER_TIMEOUT: '1s' };
    const dotted = loadConfig(schema, { env, flags: { 'crawler.concurrency': '16', mode: 'polite' } }).config;
    expect(dotted.crawler).toEqual({ concurrency: 16, timeout: 1000 });
    expect(dotted.mode).toBe('polite');

    const nested = loadConfig(schema, { env, flags: { crawler: { concurrency: 32, timeout: '2h' } } }).config;
    expect(nested.crawler).toEqual({ concurrency: 32, timeout: 7_200_000 });
    expect(nested.mode).toBe('fast');
  });

  it('reads repeated flags as a list of typed items', () => {
    const { config } = loadConfig(schema, {
      env: {},
      flags: { ports: ['80', '443'], seeds: ['https://a.test/'] },
    });
    expect(config.ports).toEqual([80, 443]);
    expect(config.seeds).toEqual(['https://a.test/']);
  });

  it('lists every bad value in one error, one line each, naming the source and the value', () => {
    const error = expectConfigError(() =>
      loadConfig(schema, {
        env: { KRAUL_CRAWLER_CONCURRENCY: 'abc', KRAUL_MODE: 'reckless', KRAUL_RESPECT_ROBOTS: 'maybe' },
        flags: { maxPagesPerHost: '0' },
      }),
    );
    expect(error).toBeInstanceOf(KraulError);
    expect(error.code).toBe('config.invalid');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid configuration (4 problems):');
    expect(lines.slice(1).sort()).toEqual(
      [
        '  --max-pages-per-host=0 (maxPagesPerHost): expected an integer >= 1',
        '  KRAUL_RESPECT_ROBOTS=maybe (respectRobots): expected true or false (also yes/no, on/off, 1/0)',
        '  KRAUL_MODE=reckless (mode): expected one of: fast, polite',
        '  KRAUL_CRAWLER_CONCURRENCY=abc (crawler.concurrency): expected a number >= 1',
      ].sort(),
    );
    expect(error.problems).toContainEqual({
      key: 'crawler.concurrency',
      source: 'KRAUL_CRAWLER_CONCURRENCY',
      value: 'abc',
      reason: 'expected a number >= 1',
    });
  });

  it('says which list item is wrong and which required setting is missing', () => {
    const strict = z.object({ seeds: z.array(z.url()), ports: z.array(z.int()).default([]) });
    const error = expectConfigError(() => loadConfig(strict, { env: { KRAUL_PORTS: '80,http' } }));
    expect(error.message).toContain('  KRAUL_PORTS=80,http (ports): item 2: expected an integer');
    expect(error.message).toContain('  KRAUL_SEEDS (seeds): required, not set');
  });

  it('names the key of a bad record entry', () => {
    const error = expectConfigError(() =>
      loadConfig(schema, { env: { KRAUL_HEADERS: '{"accept":"text/html","dnt":1}' } }),
    );
    expect(error.message).toContain('(headers): "dnt": expected text');
  });

  it('accepts strict object schemas', () => {
    const strict = z.strictObject({ mode: z.enum(['a', 'b']).default('a') });
    expect(loadConfig(strict, { env: { KRAUL_MODE: 'b' } }).config.mode).toBe('b');
  });

  it('never echoes the value of a secret', () => {
    const secrets = z.object({
      kafka: z.object({ sasl: z.object({ password: z.string().min(12) }) }),
      apiToken: z.string().length(40),
      proxyPassword: z.string().optional(),
    });
    const error = expectConfigError(() =>
      loadConfig(secrets, { env: { KRAUL_KAFKA_SASL_PASSWORD: 'hunter2', KRAUL_API_TOKEN: 'abc123' } }),
    );
    expect(error.message).toContain(
      '  KRAUL_KAFKA_SASL_PASSWORD=*** (kafka.sasl.password): expected at least 12 characters',
    );
    expect(error.message).toContain('  KRAUL_API_TOKEN=*** (apiToken):');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('abc123');
    expect(JSON.stringify(error.context)).not.toContain('hunter2');
  });

  it('warns about unknown KRAUL_ variables and suggests the closest known name', () => {
    const { warnings } = loadConfig(schema, {
      env: { KRAUL_CONCURENCY: '3', KRAUL_MAX_PAGE_PER_HOST: '5', KRAUL_ZZZ_UNRELATED: 'x', HOME: '/root' },
    });
    expect(warnings).toEqual([
      {
        name: 'KRAUL_CONCURENCY',
        suggestion: 'KRAUL_CRAWLER_CONCURRENCY',
        message: 'unknown environment variable KRAUL_CONCURENCY (did you mean KRAUL_CRAWLER_CONCURRENCY?)',
      },
      {
        name: 'KRAUL_MAX_PAGE_PER_HOST',
        suggestion: 'KRAUL_MAX_PAGES_PER_HOST',
        message:
          'unknown environment variable KRAUL_MAX_PAGE_PER_HOST (did you mean KRAUL_MAX_PAGES_PER_HOST?)',
      },
      { name: 'KRAUL_ZZZ_UNRELATED', message: 'unknown environment variable KRAUL_ZZZ_UNRELATED' },
    ]);
  });

  it('warns about unknown flags too', () => {
    const { warnings } = loadConfig(schema, { env: {}, flags: { 'crawler.concurency': '3' } });
    expect(warnings).toEqual([
      {
        name: 'crawler.concurency',
        suggestion: 'crawler.concurrency',
        message: 'unknown flag crawler.concurency (did you mean crawler.concurrency?)',
      },
    ]);
  });

  it('honours another env prefix', () => {
    const { config, warnings } = loadConfig(schema, {
      env: { CRAWL_MODE: 'fast', KRAUL_MODE: 'polite' },
      envPrefix: 'CRAWL_',
    });
    expect(config.mode).toBe('fast');
    expect(warnings).toEqual([]);
  });
});
