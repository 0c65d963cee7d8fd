import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CrawlPlan, CrawlResult } from './crawl-protocol.ts';
import { finishWithin } from './deadline.ts';

/** The few parts of Crawlee's API the bench uses (Crawlee is installed apart from the workspace). */
interface CrawleeModule {
  CheerioCrawler: new (options: CheerioCrawlerOptions) => { run(urls: string[]): Promise<unknown> };
  log: { setLevel(level: number): void; LEVELS: { WARNING: number } };
}

interface EnqueuedRequest {
  url: string;
}

interface CheerioCrawlerOptions {
  maxConcurrency: number;
  respectRobotsTxtFile: boolean;
  maxRequestRetries: number;
  requestHandlerTimeoutSecs: number;
  requestHandler(context: {
    request: { url: string };
    enqueueLinks(options: {
      selector: string;
      strategy: 'all';
      transformRequestFunction(request: EnqueuedRequest): EnqueuedRequest | false;
    }): Promise<unknown>;
  }): Promise<void>;
  failedRequestHandler(context: { request: { url: string; errorMessages: string[] } }): void;
}

/**
 * Crawlee's CheerioCrawler as its guide writes one: `enqueueLinks` within the site's origins
 * (rel=nofollow links left out by the selector, as the other crawlers do),
 * robots.txt respected, Crawlee's default storage (a request queue persisted to a folder of
 * its own). Crawlee has no per-host concurrency limit: only the global one applies.
 */
export async function crawlWithCrawlee(plan: CrawlPlan): Promise<CrawlResult> {
  if (!plan.contender) throw new Error('crawlee crawl: no installed crawlee given');
  const storage = mkdtempSync(join(tmpdir(), 'kraul-bench-crawlee-'));
  // Read by Crawlee's configuration when it first loads.
  process.env['CRAWLEE_STORAGE_DIR'] = storage;
  const crawlee = createRequire(import.meta.url)(plan.contender) as CrawleeModule;
  crawlee.log.setLevel(crawlee.log.LEVELS.WARNING);
  const origins = new Set(plan.origins);
  const failures: string[] = [];
  let documents = 0;
  let lastDocumentMs = 0;
  const progress: [number, number][] = [];
  let started = 0;
  const crawler = new crawlee.CheerioCrawler({
    maxConcurrency: plan.concurrency,
    respectRobotsTxtFile: true,
    maxRequestRetries: 0,
    requestHandlerTimeoutSecs: Math.ceil(plan.timeoutMs / 1_000),
    async requestHandler({ enqueueLinks }) {
      documents += 1;
      lastDocumentMs = performance.now() - started;
      progress.push([lastDocumentMs, documents]);
      await enqueueLinks({
        // Like the raw loop and kraul: <a> and <area>, rel=nofollow skipped (Crawlee's default selector is 'a').
        selector: 'a:not([rel~=nofollow]), area:not([rel~=nofollow])',
        strategy: 'all',
        transformRequestFunction: (request) => (origins.has(new URL(request.url).origin) ? request : false),
      });
    },
    failedRequestHandler({ request }) {
      failures.push(`${request.url}: ${request.errorMessages.at(-1) ?? 'failed'}`);
    },
  });
  try {
    const cpuBefore = process.cpuUsage();
    started = performance.now();
    await finishWithin(
      crawler.run([plan.seed]),
      plan.timeoutMs,
      () => `crawlee crawl not finished after ${plan.timeoutMs} ms (${documents} documents)`,
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (failures.length > 0)
      throw new Error(`crawlee crawl: ${failures.length} requests failed: ${failures[0]}`);
    return {
      engine: 'crawlee',
      documents,
      wallMs,
      lastDocumentMs,
      progress,
      cpuMicros: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
}
