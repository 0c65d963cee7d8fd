import { describe, expect, it } from 'vitest';
import { runKraul } from './run-kraul.ts';

// A real crawl of a real local site in child processes: generous time, never a speed check.
describe('kraul bench', { timeout: 120_000 }, () => {
  it('crawls the local site whole and reports pages/s, CPU, memory, coverage and duplicates', async () => {
    const result = await runKraul(['bench', '--hosts', '3', '--pages-per-host', '8', '--json'], {
      timeoutMs: 110_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & {
      settings: Record<string, number>;
      check: Record<string, number>;
    };
    expect(report.settings).toMatchObject({
      hosts: 3,
      pagesPerHost: 8,
      concurrency: 32,
      concurrencyPerHost: 1,
    });
    // 3 hosts × 8 pages, all reachable from /p/0 of host 0 with robots.txt obeyed.
    expect(report['pages']).toBe(24);
    expect(report.check).toMatchObject({ coverage: 1, missing: 0, duplicateFetches: 0, unexpected: 0 });
    expect(report.check['robots']).toBe(3);
    for (const figure of ['seconds', 'pagesPerSecond', 'steadyPagesPerSecond', 'cpuMsPerPage', 'peakRssMiB'])
      expect(report[figure], figure).toBeGreaterThan(0);
  });

  it('prints one screen of figures', async () => {
    const result = await runKraul(['bench', '--hosts', '2', '--pages-per-host', '5', '--page-delay', '5ms'], {
      timeoutMs: 110_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^kraul bench: `kraul run` on a local site, concurrency 32, 1 per host, page delay 5 ms/,
    );
    expect(result.stdout).toMatch(/^ {2}pages +10 \(2 hosts × 5\)$/m);
    expect(result.stdout).toMatch(/^ {2}coverage +1 \(0 pages missed\)$/m);
    expect(result.stdout).toMatch(/^ {2}duplicate fetches +0$/m);
    expect(result.stdout).toMatch(/^ {2}CPU per page +\d+\.\d\d ms/m);
    expect(result.stdout.trim().split('\n').length).toBeLessThanOrEqual(20);
  });

  it('names every bad flag at once and exits 2 without crawling', async () => {
    const result = await runKraul(['bench', '--hosts', '0', '--concurrency', 'many', '--page-delay', 'soon']);
    expect(result.stderr).toContain('invalid bench options (3 problems)');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--hosts=0: expected a whole number from 1 to 1000');
    expect(result.stderr).toContain('--concurrency=many: expected a whole number from 1 to 10000');
    expect(result.stderr).toContain('--page-delay=soon');
    expect(result.stdout).toBe('');
  });
});
