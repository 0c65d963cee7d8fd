// One crawl in a fresh process, so its CPU time and peak memory are its own. Started by the
// bench with fork(); reports a CrawlMessage over IPC and exits.
import type { CrawlMessage, CrawlPlan, CrawlResult } from './crawl-protocol.ts';

const plan = JSON.parse(process.argv[2] ?? '{}') as CrawlPlan;

async function report(message: CrawlMessage): Promise<void> {
  await new Promise<void>((resolve) => process.send!(message, () => resolve()));
}

/** Loads only the engine it runs, so the baseline's memory holds none of kraul's modules. */
async function crawl(): Promise<CrawlResult> {
  if (plan.engine === 'kraul') return (await import('./kraul-crawl.ts')).crawlWithKraul(plan);
  if (plan.engine === 'crawlee') return (await import('./crawlee-crawl.ts')).crawlWithCrawlee(plan);
  return (await import('./raw-crawl.ts')).crawlRaw(plan);
}

try {
  const result = await crawl();
  await report({ type: 'result', result });
  process.exit(0);
} catch (error) {
  await report({ type: 'error', error: (error as Error).stack ?? String(error) });
  // A failed crawl may leave sockets and timers behind: nothing here is worth waiting for.
  process.exit(1);
}
