import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kraulTopicSpecs } from '@kraul/runtime';
import { siteBenchCrawl } from '../../services/cli/src/embedded/site-bench-crawl.ts';
import { BusMeter } from './bus-meter.ts';
import type { CrawlPlan, CrawlResult } from './crawl-protocol.ts';

/** The embedded engine's topic prefix and the partitions it is given below. */
const PREFIX = 'kraul';
/** How often the crawl is asked whether it is over; bounds the error of the measured time. */
const POLL_MS = 20;

/**
 * One `kraul run`-style crawl of the site: the job built from the same flags the command
 * line takes, all roles on the in-memory bus, the frontier's sqlite files in a fresh folder.
 */
export async function crawlWithKraul(plan: CrawlPlan): Promise<CrawlResult> {
  const meter = new BusMeter();
  const dataDir = mkdtempSync(join(tmpdir(), 'kraul-bench-'));
  const crawl = siteBenchCrawl({
    seed: plan.seed,
    origins: plan.origins,
    addresses: plan.addresses,
    concurrency: plan.concurrency,
    concurrencyPerHost: plan.concurrencyPerHost,
    partitions: plan.partitions,
    dataDir,
    logFormat: 'json',
    ...(plan.fixedWindow === undefined
      ? {}
      : {
          feed: {
            initialWindow: plan.fixedWindow,
            minWindow: plan.fixedWindow,
            maxWindow: plan.fixedWindow,
          },
        }),
  });
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await crawl.start([plan.seed]);
    const startMs = performance.now() - started;
    let done = 0;
    let lastDocumentMs = 0;
    const progress: [number, number][] = [];
    // Over when every expected page is done and nothing is queued, in flight or on the bus.
    while (done < plan.expectedPages || !(await crawl.isIdle())) {
      const elapsed = performance.now() - started;
      if (elapsed > plan.timeoutMs) {
        throw new Error(
          `kraul crawl not finished after ${plan.timeoutMs} ms: ${JSON.stringify(crawl.progress().counts)}`,
        );
      }
      const now = crawl.progress().counts.done;
      if (now > done) {
        done = now;
        lastDocumentMs = elapsed;
        progress.push([elapsed, done]);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const traffic = meter.traffic(kraulTopicSpecs(PREFIX, plan.partitions));
    await crawl.stop();
    const counts = crawl.progress().counts;
    return {
      engine: 'kraul',
      documents: counts.done,
      wallMs,
      lastDocumentMs,
      progress,
      startMs,
      cpuMicros: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      counts,
      traffic,
    };
  } finally {
    meter.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
