import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetricsRegistry } from '@kraul/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedCrawl } from '../src/embedded/engine.ts';
import { buildJob } from '../src/job-options.ts';

let server: Server | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('EmbeddedCrawl', () => {
  it('stops waiting for the crawl to finish once it is stopped', async () => {
    // A site that never answers: the crawl is never idle on its own.
    server = createServer(() => {});
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const seed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    dataDir = mkdtempSync(join(tmpdir(), 'kraul-engine-'));
    const crawl = new EmbeddedCrawl({
      job: buildJob({ id: 'hang', seeds: [seed], options: { allowAddress: ['127.0.0.1'] } }),
      dataDir,
      log: createLogger({ name: 'test', level: 'silent' }),
      metrics: createMetricsRegistry(),
      crawler: { userAgent: 'kraul-test', revokeGraceMs: 50, fetch: { headersTimeoutMs: 500 } },
    });
    await crawl.start([seed]);
    const finished = crawl.finished(20);
    await crawl.stop(100);
    await expect(finished).resolves.toBeUndefined();
  });
});
