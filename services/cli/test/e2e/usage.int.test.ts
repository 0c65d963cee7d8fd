import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { tempWorkDir } from './site-crawl.ts';

// Nothing listens on port 1 of 127.0.0.2: a run that got past its checks would fail, not crawl.
const seed = 'http://127.0.0.2:1/';

describe('kraul run with a command line it cannot act on', () => {
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    work = await tempWorkDir('usage');
  });

  afterAll(async () => {
    await work?.remove();
  });

  it('exits 2 naming every bad flag, and starts nothing', async () => {
    const result = await runKraulIn(['run', seed, '--delay', 'abc', '--max-depth', '-1'], { cwd: work.dir });
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('kraul: invalid job options (2 problems):');
    expect(lines.slice(1).sort()).toEqual([
      '  --delay=abc: expected a duration such as 500ms, 10s, 5m, 1h or 1d',
      '  --max-depth=-1: expected an integer between 0 and 10000',
    ]);
    expect(result.stdout).toBe('');
    expect(await readdir(work.dir)).toEqual([]);
  });

  it('exits 2 on a seed that is not a URL, together with any other bad value', async () => {
    const alone = await runKraulIn(['run', 'not-a-url'], { cwd: work.dir });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe('kraul: invalid job options (1 problem): <url>=not-a-url: Not a valid URL\n');

    const several = await runKraulIn(['run', seed, 'ftp://127.0.0.2/x', '--delay', 'soon'], {
      cwd: work.dir,
    });
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('kraul: invalid job options (2 problems):');
    expect(several.stderr).toContain('  <url>=ftp://127.0.0.2/x: Unsupported URL scheme ftp:');
    expect(several.stderr).toContain('  --delay=soon: expected a duration');
    expect(await readdir(work.dir)).toEqual([]);
  });

  it('exits 2 without a seed', async () => {
    const result = await runKraulIn(['run', '--delay', '1s'], { cwd: work.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: missing required argument 'url'");
  });
});
