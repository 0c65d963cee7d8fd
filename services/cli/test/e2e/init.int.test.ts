import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { tempWorkDir } from './site-crawl.ts';

function nodeTest(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', 'crawl.test.ts'],
      { cwd, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('kraul init', () => {
  let work: Awaited<ReturnType<typeof tempWorkDir>>;
  beforeAll(async () => {
    work = await tempWorkDir('init');
  });
  afterAll(async () => {
    await work?.remove();
  });

  it('writes a crawl project that passes its own test', async () => {
    const result = await runKraulIn(['init', 'my-crawl'], { cwd: work.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const project = join(work.dir, 'my-crawl');
    for (const file of [
      'crawl.ts',
      'crawl.test.ts',
      'fixtures/listing.html',
      'docker-compose.override.yml',
      'package.json',
    ])
      expect(existsSync(join(project, file))).toBe(true);
    const test = await nodeTest(project);
    expect(test.output).toContain('pass 2');
    expect(test.code).toBe(0);
  });

  it('refuses a folder that is not empty, changing nothing', async () => {
    const again = await runKraulIn(['init', 'my-crawl'], { cwd: work.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is not empty');
  });
});
