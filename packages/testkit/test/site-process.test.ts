import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SiteProcess, startSiteProcess } from '../src/site-process/index.ts';

describe('the site in a process of its own', { timeout: 60_000 }, () => {
  let site: SiteProcess;
  beforeAll(async () => {
    site = await startSiteProcess({ hosts: 3, pagesPerHost: 5 });
  });
  afterAll(() => site.close());

  it('tells which hosts each User-Agent asked, and how often, since the last mark', async () => {
    const get = (host: number, path: string, agent: string) =>
      fetch(`${site.origins[host]}${path}`, { headers: { 'user-agent': agent } }).then((r) => r.text());
    await get(0, '/p/0', 'before-the-mark');
    await site.mark();
    await get(0, '/p/0', 'crawler-0');
    await get(0, '/p/1', 'crawler-0');
    await get(2, '/robots.txt', 'crawler-0');
    await get(1, '/p/0', 'crawler-1');
    const log = await site.log();
    expect(new Map(log.byAgent)).toEqual(
      new Map([
        ['crawler-0', [2, 0, 1]],
        ['crawler-1', [0, 1, 0]],
      ]),
    );
    expect(log.countByUrl).toHaveLength(4);
  });
});
