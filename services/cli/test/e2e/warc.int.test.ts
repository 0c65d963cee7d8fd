import { basename, join } from 'node:path';
import { startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { isGraphPage, siteJobFlags, tempWorkDir } from './site-crawl.ts';
import { readWarcDir } from './warc-records.ts';

describe('kraul run --warc', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 2, pagesPerHost: 8 });
    work = await tempWorkDir('warc');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('archives every fetched page, which Python warcio reads back with matching payload digests', async () => {
    const result = await runKraulIn(
      ['run', site.url(0, '/p/0'), ...siteJobFlags(site, '10ms'), '--warc', 'warc', '--no-progress'],
      { cwd: work.dir, killAfterMs: 150_000 },
    );
    expect(result.stderr).toMatch(/^done: /m);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/WARC: \d+ files? in warc/);

    const { files, records } = await readWarcDir(join(work.dir, 'warc'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const file of files) expect(basename(file)).toMatch(/^kraul-run-\d+-\d{17}-\d{5}\.warc\.gz$/);
    expect(new Set(records.map((record) => record.warcVersion))).toEqual(new Set(['WARC/1.1']));

    // Every request the site answered, robots.txt aside (the crawler's own, not a page).
    const answered = site.requests(
      (request) => request.path !== '/robots.txt' && request.status !== undefined,
    );
    const statusOf = new Map(answered.map((request) => [request.url, String(request.status)]));
    expect(answered.filter(isGraphPage).length).toBeGreaterThan(10);
    const responses = records.filter((record) => record.type === 'response');
    expect(new Set(responses.map((record) => record.uri))).toEqual(new Set(statusOf.keys()));
    for (const response of responses) {
      expect(response.status).toBe(statusOf.get(response.uri!));
      expect(response.payloadDigest).toMatch(/^sha1:[A-Z2-7]{32}$/);
      expect(response.computedDigest).toBe(response.payloadDigest);
      const concurrent = records.filter((record) => record.concurrentTo === response.id);
      expect(concurrent.map((record) => record.type).sort()).toEqual(['metadata', 'request']);
      const metadata = concurrent.find((record) => record.type === 'metadata')!;
      expect(metadata.fields!.some((field) => field.startsWith('outlink: http://'))).toBe(true);
    }
  });
});
