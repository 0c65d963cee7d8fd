import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));

export interface ScriptedClusterOptions {
  /** Client port of node 1; node N listens on port + N - 1 (and the secured listeners on + 100 ... + 400). */
  port: number;
  /** Controller port of node 1; node N on + N - 1. */
  controllerPort: number;
  /** 1 or 3. Default: 1. */
  nodes?: 1 | 3;
  /** SASL_PLAINTEXT, SSL, mutual TLS and SASL_SSL listeners with test certificates and users. Default: false. */
  security?: boolean;
}

/**
 * A Kafka cluster of its own for one test file, started and stopped with the project's
 * scripts/kafka.sh on ports apart from the shared test broker's.
 */
export interface ScriptedCluster {
  /** `127.0.0.1:<port>` of every node's PLAINTEXT listener. */
  readonly brokers: string[];
  /** The listener of node 1 at `offset` from its client port (100 SASL_PLAINTEXT, 200 SSL, 300 mutual TLS, 400 SASL_SSL). */
  listener(offset: 0 | 100 | 200 | 300 | 400, node?: number): string;
  /** The folder of ca.pem, client.pem, client.key and other-ca.pem (security only). */
  readonly tlsDir: string;
  /** SIGKILLs node N (1-based). */
  killNode(node: number): Promise<void>;
  /** Starts node N again on its data. */
  startNode(node: number): Promise<void>;
  /** The pid of node N. */
  pid(node: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startScriptedCluster(options: ScriptedClusterOptions): Promise<ScriptedCluster> {
  const env = {
    ...process.env,
    KRAUL_KAFKA_PORT: String(options.port),
    KRAUL_KAFKA_CONTROLLER_PORT: String(options.controllerPort),
    KRAUL_KAFKA_NODES: String(options.nodes ?? 1),
    KRAUL_KAFKA_SECURITY: options.security ? '1' : '0',
  };
  const kafka = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await run('bash', [script, ...args], { env, timeout: 180_000 });
      return stdout;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`scripts/kafka.sh ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
    }
  };
  await kafka('start');
  const nodes = options.nodes ?? 1;
  const tlsDir = (await kafka('tls-dir')).trim();
  return {
    brokers: Array.from({ length: nodes }, (_, index) => `127.0.0.1:${options.port + index}`),
    listener: (offset, node = 1) => `127.0.0.1:${options.port + node - 1 + offset}`,
    tlsDir,
    killNode: async (node) => {
      await kafka('kill-node', String(node));
    },
    startNode: async (node) => {
      await kafka('start-node', String(node));
    },
    pid: async (node) => Number((await kafka('pid', String(node))).trim()),
    stop: async () => {
      await kafka('stop');
    },
  };
}

/** The file `name` in the cluster's certificate folder. */
export function tlsFile(
  cluster: ScriptedCluster,
  name: 'ca.pem' | 'client.pem' | 'client.key' | 'other-ca.pem',
): string {
  return join(cluster.tlsDir, name);
}
