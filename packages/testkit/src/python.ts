import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KraulError } from '@kraul/protocol';

const run = promisify(execFile);

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const requirementsFile = fileURLToPath(new URL('../python/requirements.txt', import.meta.url));

/** Python, or a package from PyPI, could not be set up for an interop test. */
export class PythonSetupError extends KraulError {
  constructor(step: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('TEST_PYTHON_SETUP', `python interop setup failed at ${step}: ${detail}`, { step }, { cause });
  }
}

let pending: Promise<string> | undefined;

/**
 * The python executable of a virtual environment under `.cache/python/venv` holding the
 * pinned packages of packages/testkit/python/requirements.txt (from PyPI). Made once and
 * reused while the requirements file is unchanged; made again when it changes.
 */
export function pythonWithInteropPackages(): Promise<string> {
  pending ??= setUp();
  return pending;
}

async function setUp(): Promise<string> {
  const venv = join(repositoryRoot, '.cache', 'python', 'venv');
  const python = join(venv, 'bin', 'python');
  const stamp = join(venv, 'requirements.sha256');
  const requirements = await readFile(requirementsFile);
  const wanted = createHash('sha256').update(requirements).digest('hex');
  if (existsSync(python) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === wanted) return python;

  await rm(venv, { recursive: true, force: true });
  await mkdir(join(repositoryRoot, '.cache', 'python'), { recursive: true });
  const system = process.env['KRAUL_TEST_PYTHON'] ?? 'python3';
  await step('venv', () => run(system, ['-m', 'venv', venv]));
  await step('pip install', () =>
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirementsFile], {
      timeout: 300_000,
    }),
  );
  await writeFile(stamp, wanted);
  return python;
}

async function step(name: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    throw new PythonSetupError(name, error);
  }
}

/** Runs a Python script of the test venv and returns its standard output. */
export async function runPython(
  script: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const python = await pythonWithInteropPackages();
  try {
    const { stdout } = await run(python, [script, ...args], {
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new KraulError(
      'TEST_PYTHON_FAILED',
      `python ${script} failed: ${stderr.trim().slice(-2_000)}`,
      {
        script,
      },
      { cause: error },
    );
  }
}
