import { fork } from 'node:child_process';
import type { CrawlMessage, CrawlPlan, CrawlResult } from './crawl-protocol.ts';

const CRAWL_SCRIPT = new URL('./crawl-process.ts', import.meta.url);

/** Runs one crawl in a child process; rejects when it fails or exits without a result. */
export function runCrawlProcess(plan: CrawlPlan): Promise<CrawlResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CRAWL_SCRIPT, [JSON.stringify(plan)], {
      // Its logs and warnings go to stderr, never into the report on stdout.
      stdio: ['ignore', process.stderr, 'inherit', 'ipc'],
    });
    let message: CrawlMessage | undefined;
    child.on('message', (received: CrawlMessage) => {
      message = received;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (message?.type === 'result' && code === 0) resolve(message.result);
      else if (message?.type === 'error') reject(new Error(`${plan.engine} crawl failed: ${message.error}`));
      else
        reject(
          new Error(`${plan.engine} crawl process exited (code ${code}, signal ${signal}) without a result`),
        );
    });
  });
}
