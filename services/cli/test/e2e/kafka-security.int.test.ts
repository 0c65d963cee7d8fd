import {
  type ScriptedCluster,
  startScriptedCluster,
  startTestSite,
  type TestSite,
  tlsFile,
  uniqueName,
} from '@kraul/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJob, createTopics, type RoleProcess, startCluster, stopRoles } from './cluster-roles.ts';
import { runKraulIn } from './kraul-process.ts';
import { graphPageCounts, repeated, siteJobFlags, tempWorkDir, waitUntil } from './site-crawl.ts';

// A broker of this file's own, apart from the shared test broker: PLAINTEXT on 23092,
// SASL_PLAINTEXT on 23192, SSL on 23292, mutual TLS on 23392, SASL_SSL on 23492.
const PORT = 23_092;
const CONTROLLER_PORT = 25_093;
const USER = 'kraul';
const PASSWORD = 'kraul-secret';

describe('kraul over authenticated and encrypted listeners of a real broker', () => {
  let cluster: ScriptedCluster;
  let site: TestSite;
  const roles: RoleProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    [cluster, site] = await Promise.all([
      startScriptedCluster({ port: PORT, controllerPort: CONTROLLER_PORT, security: true }),
      startTestSite({ hosts: 2, pagesPerHost: 5 }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([cluster?.stop(), site?.close()]);
  }, 60_000);

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      role.process.signal('SIGKILL');
      await role.process.exited;
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Every connection setting of a listener, as a user sets them: environment variables. */
  const listeners: Record<string, () => Record<string, string>> = {
    'SASL_PLAINTEXT with PLAIN': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(100),
      KRAUL_KAFKA_SASL_MECHANISM: 'plain',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD: PASSWORD,
    }),
    'SASL_PLAINTEXT with SCRAM-SHA-256': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(100),
      KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD: PASSWORD,
    }),
    'SASL_PLAINTEXT with SCRAM-SHA-512': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(100),
      KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD: PASSWORD,
    }),
    'SSL (the broker verified against the test CA)': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(200),
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'ca.pem'),
    }),
    'mutual TLS (a client certificate the broker requires)': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(300),
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'ca.pem'),
      KRAUL_KAFKA_TLS_CERT: tlsFile(cluster, 'client.pem'),
      KRAUL_KAFKA_TLS_KEY: tlsFile(cluster, 'client.key'),
    }),
    'SASL_SSL with SCRAM-SHA-512, the password from a file': () => ({
      KRAUL_KAFKA_BROKERS: cluster.listener(400),
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'ca.pem'),
      KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD_FILE: passwordFile,
    }),
  };
  let passwordFile = '';

  for (const [name, settings] of Object.entries(listeners)) {
    it(`crawls the whole site over ${name}`, async () => {
      const work = await tempWorkDir('secure');
      cleanups.push(work.remove);
      passwordFile = `${work.dir}/kafka-password`;
      const { writeFile } = await import('node:fs/promises');
      await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
      const env = settings();
      const prefix = uniqueName('sec');

      site.clearLog();
      await createTopics(prefix, work.dir, env);
      const started = await startCluster(prefix, work.dir, env);
      roles.push(started.frontier, started.strategy, started.crawler);
      await createJob(
        prefix,
        work.dir,
        uniqueName('job'),
        [...siteJobFlags(site, '0ms'), '--seed', site.url(0, '/p/0')],
        env,
      );

      const expected = site.expectedPages();
      await waitUntil('every page to be fetched', () => graphPageCounts(site).size >= expected.size, {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      expect(new Set(graphPageCounts(site).keys())).toEqual(expected);
      expect(repeated(graphPageCounts(site))).toEqual([]);

      const exits = await stopRoles(roles.splice(0));
      expect(exits.map((exit) => ({ code: exit.code, stderr: exit.stderr }))).toEqual(
        exits.map(() => ({ code: 0, stderr: '' })),
      );
      // No role wrote the password anywhere it prints.
      for (const exit of exits) expect(`${exit.stdout}${exit.stderr}`).not.toContain(PASSWORD);
    });
  }

  /** Runs `kraul status` with the settings and returns how it ended. */
  async function status(env: Record<string, string>) {
    const work = await tempWorkDir('secure-fail');
    cleanups.push(work.remove);
    return runKraulIn(['status'], { cwd: work.dir, env: { KRAUL_LOG_LEVEL: 'warn', ...env } });
  }

  /** One line on stderr naming the broker, no password, exit 1. */
  function expectOneLine(
    exit: { code: number | null; stderr: string; stdout: string },
    broker: string,
    cause: RegExp,
  ) {
    expect(exit.code).toBe(1);
    const lines = exit.stderr.trim().split('\n');
    expect(lines, exit.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`kafka ${broker}`);
    expect(lines[0]).toMatch(cause);
    expect(`${exit.stdout}${exit.stderr}`).not.toContain('wrong-secret');
    expect(`${exit.stdout}${exit.stderr}`).not.toContain(PASSWORD);
  }

  it('refuses a wrong password with one line naming the broker and the user, never the password', async () => {
    const broker = cluster.listener(100);
    const exit = await status({
      KRAUL_KAFKA_BROKERS: broker,
      KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD: 'wrong-secret',
    });
    expectOneLine(exit, broker, /SASL authentication failed for user "kraul" with SCRAM-SHA-256/);
  });

  it('refuses a broker certificate no trusted CA signed, in one line', async () => {
    const broker = cluster.listener(200);
    const exit = await status({
      KRAUL_KAFKA_BROKERS: broker,
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'other-ca.pem'),
    });
    expectOneLine(exit, broker, /TLS certificate is not trusted/);
  });

  it('refuses a SASL mechanism the listener does not enable, in one line', async () => {
    const broker = cluster.listener(400);
    const exit = await status({
      KRAUL_KAFKA_BROKERS: broker,
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'ca.pem'),
      KRAUL_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KRAUL_KAFKA_SASL_USERNAME: USER,
      KRAUL_KAFKA_SASL_PASSWORD: 'wrong-secret',
    });
    expectOneLine(exit, broker, /SASL SCRAM-SHA-256 refused/);
  });

  it('says what a listener that wants a client certificate may expect, in one line', async () => {
    const broker = cluster.listener(300);
    const exit = await status({
      KRAUL_KAFKA_BROKERS: broker,
      KRAUL_KAFKA_TLS_ENABLED: 'true',
      KRAUL_KAFKA_TLS_CA: tlsFile(cluster, 'ca.pem'),
    });
    expectOneLine(exit, broker, /client certificate/);
  });

  it('stops a role that is refused at start with the same one line, instead of retrying', async () => {
    const broker = cluster.listener(100);
    const work = await tempWorkDir('secure-role');
    cleanups.push(work.remove);
    const exit = await runKraulIn(['crawler'], {
      cwd: work.dir,
      env: {
        KRAUL_LOG_LEVEL: 'warn',
        KRAUL_KAFKA_BROKERS: broker,
        KRAUL_KAFKA_SASL_MECHANISM: 'plain',
        KRAUL_KAFKA_SASL_USERNAME: USER,
        KRAUL_KAFKA_SASL_PASSWORD: 'wrong-secret',
      },
      killAfterMs: 60_000,
    });
    expectOneLine(exit, broker, /SASL authentication failed for user "kraul" with PLAIN/);
  });
});
