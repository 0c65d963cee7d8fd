// The thread a crawl definition's handlers run in: user code that loops forever or blocks
// can then be cut off (the thread is terminated) without stopping the crawler.
import { parentPort, workerData } from 'node:worker_threads';
import type { CrawlDefinition } from './define.ts';
import type { TaskMessage, ThreadData, ThreadMessage } from './handler-protocol.ts';
import { importDefinition } from './load.ts';
import { runHandler } from './run-handler.ts';

const port = parentPort!;
const post = (message: ThreadMessage) => port.postMessage(message);
const log = (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) =>
  post({ type: 'log', level, message, fields });

const { module } = workerData as ThreadData;
let definition: CrawlDefinition;
try {
  definition = await importDefinition(module);
} catch (error) {
  post({ type: 'load-failed', message: (error as Error).message });
  process.exit(1);
}
port.on('message', (message: TaskMessage) => {
  runHandler(definition, message.page, log).then(
    (result) => post({ type: 'result', id: message.id, result }),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      post({
        type: 'result',
        id: message.id,
        result: {
          ok: false,
          label: undefined,
          error: { message: err.message, stack: err.stack ?? err.message },
        },
      });
    },
  );
});
post({ type: 'ready' });
