import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  byteSize,
  defaultsTableMarkdown,
  describeDefaults,
  duration,
  envName,
  flagName,
} from '../src/index.ts';

const schema = z.object({
  seeds: z.array(z.url()).describe('Start URLs'),
  maxPagesPerHost: z.int().min(1).default(1000).describe('Pages fetched per host at most'),
  politeness: z.object({
    delay: duration().default(2000).describe('Pause between two fetches of one host'),
    maxBody: byteSize()
      .default(10 * 1024 * 1024)
      .describe('Largest body kept | bigger ones are cut'),
  }),
  hosts: z.array(z.string()).default(['a.test', 'b.test']).describe('Hosts in scope'),
  proxy: z.string().optional().describe('HTTP proxy URL'),
});

describe('setting names', () => {
  it('derive env vars and flags from camelCase paths', () => {
    expect(envName(['maxPagesPerHost'], 'KRAUL_')).toBe('KRAUL_MAX_PAGES_PER_HOST');
    expect(envName(['kafka', 'brokers'], 'KRAUL_')).toBe('KRAUL_KAFKA_BROKERS');
    expect(envName(['http2Enabled'], 'KRAUL_')).toBe('KRAUL_HTTP2_ENABLED');
    expect(envName(['tlsCAFile'], 'KRAUL_')).toBe('KRAUL_TLS_CA_FILE');
    expect(flagName(['kafka', 'tls', 'rejectUnauthorized'])).toBe('--kafka.tls.reject-unauthorized');
  });
});

describe('describeDefaults', () => {
  it('lists every setting with env var, flag, default and description', () => {
    expect(describeDefaults(schema)).toEqual([
      {
        key: 'seeds',
        env: 'KRAUL_SEEDS',
        flag: '--seeds',
        default: undefined,
        required: true,
        description: 'Start URLs',
      },
      {
        key: 'maxPagesPerHost',
        env: 'KRAUL_MAX_PAGES_PER_HOST',
        flag: '--max-pages-per-host',
        default: '1000',
        required: false,
        description: 'Pages fetched per host at most',
      },
      {
        key: 'politeness.delay',
        env: 'KRAUL_POLITENESS_DELAY',
        flag: '--politeness.delay',
        default: '2s',
        required: false,
        description: 'Pause between two fetches of one host',
      },
      {
        key: 'politeness.maxBody',
        env: 'KRAUL_POLITENESS_MAX_BODY',
        flag: '--politeness.max-body',
        default: '10MiB',
        required: false,
        description: 'Largest body kept | bigger ones are cut',
      },
      {
        key: 'hosts',
        env: 'KRAUL_HOSTS',
        flag: '--hosts',
        default: 'a.test,b.test',
        required: false,
        description: 'Hosts in scope',
      },
      {
        key: 'proxy',
        env: 'KRAUL_PROXY',
        flag: '--proxy',
        default: undefined,
        required: false,
        description: 'HTTP proxy URL',
      },
    ]);
  });

  it('renders a Markdown table', () => {
    expect(defaultsTableMarkdown(schema, { envPrefix: 'CRAWL_' })).toBe(
      [
        '| Env var | Flag | Default | Description |',
        '|---|---|---|---|',
        '| `CRAWL_SEEDS` | `--seeds` | **required** | Start URLs |',
        '| `CRAWL_MAX_PAGES_PER_HOST` | `--max-pages-per-host` | `1000` | Pages fetched per host at most |',
        '| `CRAWL_POLITENESS_DELAY` | `--politeness.delay` | `2s` | Pause between two fetches of one host |',
        '| `CRAWL_POLITENESS_MAX_BODY` | `--politeness.max-body` | `10MiB` | Largest body kept \\| bigger ones are cut |',
        '| `CRAWL_HOSTS` | `--hosts` | `a.test,b.test` | Hosts in scope |',
        '| `CRAWL_PROXY` | `--proxy` | — | HTTP proxy URL |',
        '',
      ].join('\n'),
    );
  });
});
