import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerEnv, freePort, type RoleProcess, startRole, stopRoles } from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';

const kafkaScript = fileURLToPath(new URL('../../../../scripts/kafka.sh', import.meta.url));

/** Runs scripts/kafka.sh with this environment; resolves with its exit code and output. */
function kafkaSh(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [kafkaScript, command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * A brand-new broker of its own (other ports, a temporary run folder), never the shared one:
 * on its first start it has no __consumer_offsets topic, so every group coordinator answers
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE until the broker has created and loaded it.
 * Roles started at that moment must wait and retry, not exit.
 */
describe('first start on a brand-new broker', { timeout: 240_000 }, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kraul-fresh-broker-'));
  const cwd = mkdtempSync(join(tmpdir(), 'kraul-fresh-roles-'));
  const roles: RoleProcess[] = [];

  afterAll(async () => {
    await stopRoles(roles).catch(() => {});
    try {
      // Only this test's broker, by the pid its own run folder recorded.
      process.kill(Number(readFileSync(join(runDir, 'node-1', 'broker.pid'), 'utf8').trim()), 'SIGKILL');
    } catch {
      // never started
    }
    rmSync(runDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts every role (consumer and classic protocol) without one exiting', async () => {
    const port = await freePort();
    const controllerPort = await freePort();
    const started = await kafkaSh('start', {
      KRAUL_KAFKA_PORT: String(port),
      KRAUL_KAFKA_CONTROLLER_PORT: String(controllerPort),
      KRAUL_KAFKA_RUN_DIR: runDir,
    });
    expect(started.code, started.output).toBe(0);
    const brokers = [`127.0.0.1:${port}`];
    for (const prefix of ['fresh', 'fresh-classic']) {
      const created = await runKraulIn(['topics', 'create', '--prefix', prefix, '--partitions', '4'], {
        cwd,
        env: brokerEnv(brokers),
      });
      expect(created.code, created.stderr).toBe(0);
    }

    // All at once, before any group exists on the broker.
    const options = { cwd, env: brokerEnv(brokers) };
    roles.push(
      ...(await Promise.all([
        startRole('frontier', 'fresh', { ...options, args: ['--data-dir', join(cwd, 'frontier')] }),
        startRole('strategy', 'fresh', options),
        startRole('crawler', 'fresh', options),
        startRole('crawler', 'fresh-classic', { ...options, args: ['--group-protocol', 'classic'] }),
      ])),
    );
    for (const role of roles) {
      expect(role.process.child.exitCode, `${role.name}: ${role.process.stderr()}`).toBeNull();
      expect((await fetch(`${role.telemetry}/readyz`)).status).toBe(200);
    }
    const exits = await stopRoles(roles.splice(0));
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);
  });
});
