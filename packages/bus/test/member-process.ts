import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { KafkaClientName } from '../src/cluster-options.ts';
import type { ConsumerOptions } from '../src/types.ts';
import type { DoomedMember } from './contract/harness.ts';
import type { MemberConfig, MemberMessage, MemberQuery } from './kafka-member.ts';

const memberScript = fileURLToPath(new URL('./kafka-member.ts', import.meta.url));

/** A group member in a child process (test/kafka-member.ts) that SIGKILL ends without a word. */
export async function startMemberProcess(
  brokers: string[],
  options: ConsumerOptions,
  client?: KafkaClientName,
): Promise<DoomedMember> {
  const config: MemberConfig = { brokers, options, ...(client ? { client } : {}) };
  const child: ChildProcess = fork(memberScript, [JSON.stringify(config)], {
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: MemberMessage) => {
      if (message.type === 'ready') resolve();
      else
        reject(
          new Error(
            `the member process could not join: ${message.type === 'failed' ? message.message : message.type}`,
          ),
        );
    });
    void exited.then(([code]) => reject(new Error(`the member process exited with ${code} before joining`)));
  });
  let nextId = 0;
  const state = () =>
    new Promise<Extract<MemberMessage, { type: 'state' }>>((resolve) => {
      const id = ++nextId;
      const onMessage = (message: MemberMessage): void => {
        if (message.type !== 'state' || message.id !== id) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type: 'query', id } satisfies MemberQuery);
    });
  return {
    received: async () => new Map((await state()).received),
    assigned: async () => (await state()).assigned,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
