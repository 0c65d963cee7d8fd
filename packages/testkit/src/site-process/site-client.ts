import { type ChildProcess, fork } from 'node:child_process';
import type {
  SiteAnswer,
  SiteCommand,
  SiteLogSummary,
  SiteProcessOptions,
  SiteReady,
} from './site-protocol.ts';

const SITE_SCRIPT = new URL('./site-process.ts', import.meta.url);

/** The synthetic site running in a child process, driven over IPC. */
export interface SiteProcess extends Omit<SiteReady, 'type'> {
  /** Forgets the request log and starts counting the site's CPU time afresh. */
  mark(): Promise<void>;
  /** Requests and CPU time since the last {@link mark}. */
  log(): Promise<SiteLogSummary>;
  close(): Promise<void>;
}

/** Starts the site process and resolves once every host listens. */
export async function startSiteProcess(options: SiteProcessOptions): Promise<SiteProcess> {
  const child: ChildProcess = fork(SITE_SCRIPT, [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<
    number,
    { resolve: (answer: SiteAnswer) => void; reject: (error: Error) => void }
  >();
  let nextId = 1;

  const ready = await new Promise<SiteReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`the site process exited (code ${code}) before it listened`)),
    );
    child.on('message', (message: SiteReady | SiteAnswer) => {
      if ('type' in message) {
        resolve(message);
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve(message);
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the site process exited (code ${code})`));
    pending.clear();
  });

  const call = (op: SiteCommand['op']): Promise<SiteAnswer> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op } satisfies SiteCommand);
    });
  const checked = async (op: SiteCommand['op']): Promise<SiteAnswer & { ok: true }> => {
    const answer = await call(op);
    if (!answer.ok) throw new Error(`site process, ${op}: ${answer.error}`);
    return answer;
  };

  return {
    origins: ready.origins,
    addresses: ready.addresses,
    expected: ready.expected,
    mark: async () => {
      await checked('mark');
    },
    log: async () => {
      const answer = await checked('log');
      return answer.log!;
    },
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await checked('close');
      await exited;
    },
  };
}
