import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { CrawlerWorker } from '../src/crawler-worker.ts';
import type { CrawlerProcessConfig, CrawlerProcessMessage, CrawlerProcessQuery } from './crawler-process.ts';

const script = fileURLToPath(new URL('./crawler-process.ts', import.meta.url));

export type WorkerStats = ReturnType<CrawlerWorker['stats']>;

/** A crawler worker running in a child process (test/crawler-process.ts). */
export interface WorkerProcess {
  readonly pid: number;
  stats(): Promise<WorkerStats>;
  /** SIGKILL: the worker vanishes without revoking, committing or leaving its group. */
  kill(): Promise<void>;
  /** SIGTERM, then resolves with the exit code and how long the process took to exit. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
  /** Ends the process whatever its state (test cleanup). */
  dispose(): Promise<void>;
}

export async function startWorkerProcess(config: CrawlerProcessConfig): Promise<WorkerProcess> {
  const child: ChildProcess = fork(script, [JSON.stringify(config)], {
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const running = () => child.exitCode === null && child.signalCode === null;
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: CrawlerProcessMessage) => {
      if (message.type === 'ready') resolve();
      else reject(new Error(`the crawler process could not start: ${JSON.stringify(message)}`));
    });
    void exited.then(([code]) =>
      reject(new Error(`the crawler process exited with ${code} before it was ready`)),
    );
  });
  let nextId = 0;
  return {
    pid: child.pid ?? -1,
    stats: () =>
      new Promise<WorkerStats>((resolve, reject) => {
        if (!running()) {
          reject(new Error('the crawler process is not running'));
          return;
        }
        const id = ++nextId;
        const onMessage = (message: CrawlerProcessMessage): void => {
          if (message.type !== 'state' || message.id !== id) return;
          child.off('message', onMessage);
          resolve(message.stats);
        };
        child.on('message', onMessage);
        child.send({ type: 'query', id } satisfies CrawlerProcessQuery);
      }),
    kill: async () => {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
    terminate: async () => {
      const sentAt = performance.now();
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      return { code, signal, elapsedMs: performance.now() - sentAt };
    },
    dispose: async () => {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
