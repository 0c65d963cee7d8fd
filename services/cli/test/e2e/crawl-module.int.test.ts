import { fileURLToPath } from 'node:url';
import { SHOP_PRODUCTS, startTestSite, type TestSite } from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKraulIn } from './kraul-process.ts';
import { expectedShopItems, type ItemLine, shopCrawl } from './shop-items.ts';
import { readJsonLines, tempWorkDir } from './site-crawl.ts';

describe('kraul run ./crawl.ts', () => {
  let site: TestSite;
  let work: Awaited<ReturnType<typeof tempWorkDir>>;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 1 });
    work = await tempWorkDir('crawl-module');
  });

  afterAll(async () => {
    await site?.close();
    await work?.remove();
  });

  it('runs the handlers on every page, writes valid items, and survives handlers that throw, hang or push bad items', async () => {
    const result = await runKraulIn(['run', shopCrawl, '--out', 'items.jsonl', '--no-progress'], {
      cwd: work.dir,
      env: { SHOP_ORIGINS: site.hosts[0]!.origin },
      killAfterMs: 150_000,
    });
    expect(result.stderr).toMatch(/^done: /m);
    expect(result.code).toBe(0);

    const items = await readJsonLines<ItemLine>(`${work.dir}/items.jsonl`);
    expect(items.map((item) => item.data).sort((a, b) => a.id - b.id)).toEqual(expectedShopItems());
    expect(new Set(items.map((item) => item.label))).toEqual(new Set(['detail']));
    expect(new Set(items.map((item) => item.job))).toEqual(new Set(['shop']));

    // Every listing and product page was fetched; the list's other links were not followed.
    expect(site.requests({ path: /^\/p\// })).toEqual([]);
    for (let id = 1; id <= SHOP_PRODUCTS; id++)
      expect(site.requests({ path: `/shop/item/${id}` }).length).toBeGreaterThanOrEqual(1);
    // The two failing products were tried maxAttempts (2) times, then recorded as failed.
    expect(site.requests({ path: '/shop/item/5' })).toHaveLength(2);
    expect(site.requests({ path: '/shop/item/6' })).toHaveLength(2);
    expect(result.stderr).toMatch(/job shop: 13 done, 2 failed, 0 dropped, 0 left to fetch/);
    expect(result.stderr).toContain('1 invalid (dead-lettered), 2 failures, 2 time-outs');
    expect(result.stderr).toContain('9 items written to items.jsonl');
    // The failed URLs' reasons in the summary.
    expect(result.stderr).toMatch(/page handler error\b.*1/);
    expect(result.stderr).toMatch(/page handler time-out\b.*1/);
  });

  it('names a module that exports no crawl definition, with exit code 2', async () => {
    const result = await runKraulIn(['run', fileURLToPath(new URL('./kraul-process.ts', import.meta.url))], {
      cwd: work.dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('exports no crawl definition');
  });
});
