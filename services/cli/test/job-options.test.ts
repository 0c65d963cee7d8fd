import { job as jobSchema } from '@kraul/protocol';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { JobOptionsError } from '../src/errors.ts';
import { addJobSettingOptions, buildJob, jobSettingsFromFlags, sourceOfJobPath } from '../src/job-options.ts';

/** Parses a command line the way `kraul job create` does and returns commander's option values. */
function parseFlags(args: readonly string[]): Record<string, unknown> {
  const command = addJobSettingOptions(new Command('create').exitOverride()).option('--seed <url...>');
  command.parse([...args], { from: 'user' });
  return command.opts();
}

function problemsOf(run: () => unknown): JobOptionsError {
  try {
    run();
  } catch (error) {
    if (error instanceof JobOptionsError) return error;
    throw error;
  }
  throw new Error('expected a JobOptionsError');
}

describe('buildJob', () => {
  it('makes an active job with the protocol defaults from seeds alone', () => {
    const job = buildJob({
      id: 'docs',
      seeds: ['HTTPS://Example.com/docs/#intro'],
      options: parseFlags([]),
      now: 1_000,
    });
    expect(jobSchema.parse(job)).toEqual(job);
    expect(job).toMatchObject({
      type: 'job',
      id: 'docs',
      state: 'active',
      seeds: ['https://example.com/docs/'],
      createdAt: 1_000,
      updatedAt: 1_000,
    });
    expect(job.settings.scope).toMatchObject({ mode: 'domain', maxDepth: 20, allow: [], deny: [] });
    expect(job.settings.scope.maxPages).toBeUndefined();
    expect(job.settings.politeness).toMatchObject({
      delayMs: 1_000,
      concurrencyPerHost: 1,
      respectRobots: true,
    });
    expect(job.settings.strategy).toEqual({ name: 'breadth-first', keywords: [] });
    expect(job.settings.output.pages).toBe('none');
    expect(job.settings.hostKey).toBe('hostname');
  });

  it('maps every flag to its job setting', () => {
    const options = parseFlags([
      '--scope',
      'host',
      '--max-depth',
      '3',
      '--max-pages',
      '500',
      '--max-pages-per-host',
      '50',
      '--delay',
      '2.5s',
      '--concurrency-per-host',
      '2',
      '--no-robots',
      '--allow',
      '^https://example\\.com/docs/',
      '--allow',
      '/blog/',
      '--deny',
      '\\?sort=',
      '--strategy',
      'best-first',
      '--keywords',
      'kafka, crawler',
      '--output',
      'text',
      '--recrawl',
      '1d',
      '--allow-private',
      '--allow-address',
      '127.0.0.2',
      '--allow-address',
      'fd00::/8',
      '--host-key',
      'domain',
    ]);
    const job = buildJob({ id: 'j-1', seeds: ['https://example.com/'], options });
    expect(job.settings).toMatchObject({
      hostKey: 'domain',
      scope: {
        mode: 'host',
        maxDepth: 3,
        maxPages: 500,
        maxPagesPerHost: 50,
        allow: ['^https://example\\.com/docs/', '/blog/'],
        deny: ['\\?sort='],
      },
      politeness: { delayMs: 2_500, concurrencyPerHost: 2, respectRobots: false },
      safety: { allowPrivateNetworks: true, allowedAddresses: ['127.0.0.2', 'fd00::/8'] },
      strategy: { name: 'best-first', keywords: ['kafka', 'crawler'] },
      output: { pages: 'text' },
      recrawlIntervalMs: 86_400_000,
    });
  });

  it('keeps one copy of seeds that normalise alike', () => {
    const job = buildJob({
      id: 'dup',
      seeds: ['https://example.com/a', 'https://EXAMPLE.com:443/a#x', 'https://example.com/b'],
      options: {},
    });
    expect(job.seeds).toEqual(['https://example.com/a', 'https://example.com/b']);
  });

  it('names every bad value at once, with the flag as typed', () => {
    const options = parseFlags([
      '--scope',
      'planet',
      '--max-depth',
      'abc',
      '--max-pages',
      '0',
      '--delay',
      'soon',
      '--concurrency-per-host',
      '65',
      '--allow',
      '(unclosed',
      '--strategy',
      'random',
      '--output',
      'pdf',
      '--recrawl',
      '10ms',
      '--allow-address',
      '10.0.0.0/33',
      '--host-key',
      'ip',
    ]);
    const error = problemsOf(() =>
      buildJob({
        id: 'bad id!',
        seeds: ['https://ok.example/', 'mailto:me@example.com', 'not a url'],
        options,
      }),
    );
    const sources = error.problems.map((problem) => problem.source);
    expect(sources).toEqual(
      expect.arrayContaining([
        '<id>',
        '--seed',
        '--scope',
        '--max-depth',
        '--max-pages',
        '--delay',
        '--concurrency-per-host',
        '--allow',
        '--strategy',
        '--output',
        '--recrawl',
        '--allow-address',
        '--host-key',
      ]),
    );
    expect(error.problems.filter((problem) => problem.source === '--seed').map((p) => p.value)).toEqual([
      'mailto:me@example.com',
      'not a url',
    ]);
    const byFlag = Object.fromEntries(error.problems.map((problem) => [problem.source, problem]));
    expect(byFlag['--max-depth']).toMatchObject({
      value: 'abc',
      reason: 'expected an integer between 0 and 10000',
    });
    expect(byFlag['--scope']?.reason).toBe('expected one of: host, domain, any');
    expect(byFlag['--delay']?.reason).toContain('expected a duration such as');
    expect(byFlag['--recrawl']?.reason).toBe('expected a duration of at least 1s');
    expect(byFlag['--allow']?.reason).toContain('not a valid regular expression');
    expect(byFlag['--allow-address']?.reason).toContain('CIDR');
    expect(byFlag['<id>']?.value).toBe('bad id!');
    // One line per problem, each naming its flag.
    expect(error.message.split('\n')).toHaveLength(error.problems.length + 1);
    expect(error.message).toContain('--max-depth=abc: expected an integer between 0 and 10000');
  });

  it('caps the politeness delay at an hour', () => {
    const error = problemsOf(() =>
      buildJob({ id: 'slow', seeds: ['https://a.example/'], options: parseFlags(['--delay', '2h']) }),
    );
    expect(error.problems).toEqual([
      { source: '--delay', value: '2h', reason: 'expected a duration from 0ms to 1h' },
    ]);
  });

  it('needs at least one seed', () => {
    const error = problemsOf(() => buildJob({ id: 'empty', seeds: [], options: {}, seedSource: '<url>' }));
    expect(error.problems).toEqual([{ source: '<url>', reason: 'at least one seed URL is required' }]);
  });

  it('requires --strategy-module exactly with --strategy module', () => {
    const missing = problemsOf(() => jobSettingsFromFlags(parseFlags(['--strategy', 'module'])));
    expect(missing.problems).toEqual([
      { source: '--strategy-module', reason: 'required with --strategy module' },
    ]);
    const stray = problemsOf(() => jobSettingsFromFlags(parseFlags(['--strategy-module', './mine.ts'])));
    expect(stray.problems[0]).toMatchObject({ source: '--strategy-module', value: './mine.ts' });
    const settings = jobSettingsFromFlags(
      parseFlags(['--strategy', 'module', '--strategy-module', './mine.ts']),
    );
    expect(settings.strategy).toEqual({ name: 'module', module: './mine.ts', keywords: [] });
  });
});

describe('sourceOfJobPath', () => {
  it('names the flag behind a field of the job message', () => {
    expect(sourceOfJobPath(['settings', 'scope', 'maxDepth'])).toBe('--max-depth');
    expect(sourceOfJobPath(['settings', 'politeness', 'delayMs'])).toBe('--delay');
    expect(sourceOfJobPath(['settings', 'recrawlIntervalMs'])).toBe('--recrawl');
    expect(sourceOfJobPath(['settings', 'hostKey'])).toBe('--host-key');
    expect(sourceOfJobPath(['seeds', '2'])).toBe('--seed');
    expect(sourceOfJobPath(['id'], '<job>')).toBe('<job>');
  });
});
