import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDataDir, DATA_DIR_MANIFEST } from '@kraul/store';
import { uniqueName } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerEnv, createTopics, freePort } from './cluster-roles.ts';
import { runKraulIn, startKraul } from './kraul-process.ts';

const DAMAGED = 'not a sqlite database, not even its header, just text';

describe('kraul frontier with a data folder it cannot use', () => {
  let cwd: string;
  let prefix: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'kraul-e2e-frontier-failure-'));
    prefix = uniqueName('ffail');
    await createTopics(prefix, cwd);
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('stops with one line naming partition and path, exit 1, never ready, when a shard will not open', async () => {
    const dataDir = join(cwd, 'damaged');
    claimDataDir(dataDir, { prefix });
    // Every partition's file is damaged: whichever this member is given fails to open.
    for (const partition of [0, 1, 2, 3]) {
      await writeFile(join(dataDir, `frontier-${partition}.sqlite`), DAMAGED);
    }
    const port = await freePort();
    const role = startKraul(
      [
        'frontier',
        '--prefix',
        prefix,
        '--data-dir',
        dataDir,
        '--session-timeout',
        '3s',
        '--metrics-host',
        '127.0.0.1',
        '--metrics-port',
        String(port),
      ],
      { cwd, env: { ...brokerEnv(), KRAUL_LOG_LEVEL: 'error' }, killAfterMs: 90_000 },
    );
    // /readyz is polled until the process is gone: it must never have answered 200.
    let running = true;
    const statuses = new Set<number>();
    const probe = (async () => {
      while (running) {
        try {
          statuses.add((await fetch(`http://127.0.0.1:${port}/readyz`)).status);
        } catch {
          // Not listening yet, or gone.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const exit = await role.exited;
    running = false;
    await probe;

    expect(exit.code).toBe(1);
    const last = exit.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(
      new RegExp(
        `^kraul: cannot open the shard store of partition \\d at ${dataDir}/frontier-\\d\\.sqlite: file is not a database \\(group ${prefix}-frontier could not take ${prefix}\\.schedule:`,
      ),
    );
    expect(exit.stderr).not.toContain('Warning');
    expect(statuses.has(200)).toBe(false);
    for (const partition of [0, 1, 2, 3]) {
      expect(await readFile(join(dataDir, `frontier-${partition}.sqlite`), 'utf8')).toBe(DAMAGED);
    }
  });

  it('refuses a file, a foreign folder and another prefix with exit 2 and one line, before joining', async () => {
    const file = join(cwd, 'a-file');
    await writeFile(file, 'keep');
    const onFile = await runKraulIn(['frontier', '--prefix', prefix, '--data-dir', file], {
      cwd,
      env: brokerEnv(),
    });
    expect(onFile.code).toBe(2);
    expect(onFile.stderr.trimEnd().split('\n').at(-1)).toBe(
      `kraul: --data-dir=${file}: not a folder; kraul keeps its state in a folder of its own and leaves this file as it is`,
    );
    expect(await readFile(file, 'utf8')).toBe('keep');

    const other = join(cwd, 'other-prefix');
    claimDataDir(other, { prefix: 'someone-else' });
    const onOther = await runKraulIn(['frontier', '--prefix', prefix, '--data-dir', other], {
      cwd,
      env: brokerEnv(),
    });
    expect(onOther.code).toBe(2);
    expect(onOther.stderr).toContain(`holds the state of topic prefix "someone-else", not "${prefix}"`);
    expect(await readdir(other)).toEqual([DATA_DIR_MANIFEST]);
  });
});
