import { execFile, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CrawlMessage, CrawlPlan, CrawlResult } from './crawl-protocol.ts';

const CRAWL_SCRIPT = new URL('./crawl-process.ts', import.meta.url);
const SCRAPY_SCRIPT = fileURLToPath(new URL('./scrapy-crawl.py', import.meta.url));

/** Runs one crawl in a child process; rejects when it fails or exits without a result. */
export function runCrawlProcess(plan: CrawlPlan): Promise<CrawlResult> {
  return plan.engine === 'scrapy' ? runScrapy(plan) : runNodeCrawl(plan);
}

function runNodeCrawl(plan: CrawlPlan): Promise<CrawlResult> {
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

/** Scrapy runs in its own Python process, which measures itself and prints its result as JSON. */
function runScrapy(plan: CrawlPlan): Promise<CrawlResult> {
  const python = plan.contender;
  if (!python) return Promise.reject(new Error('scrapy crawl: no Python with Scrapy given'));
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [SCRAPY_SCRIPT, JSON.stringify(plan)],
      { timeout: plan.timeoutMs * 2, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = `${stderr}`.trim().split('\n').slice(-5).join('\n  ') || error.message;
          reject(new Error(`scrapy crawl failed: ${detail}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as CrawlResult);
        } catch {
          reject(new Error(`scrapy crawl printed no result: ${stdout.slice(-500)}`));
        }
      },
    );
  });
}
