import { fileURLToPath } from 'node:url';
import { loadStrategy } from '@kraul/strategy';
import { describe, expect, it } from 'vitest';
import { defineCrawl, definitionJob, importDefinition, testPage } from '../src/index.ts';
import shop from './fixtures/shop-crawl.ts';

describe('testPage', () => {
  it('runs the handler of the label, with links resolved against the page and items checked', async () => {
    const listed = await testPage(shop, {
      url: 'http://shop.test/c/tea',
      label: 'list',
      userData: { category: 'tea' },
      html: '<a class="product" href="/p/1">1</a><a rel="next" href="?page=2">next</a>',
    });
    expect(listed.enqueued).toEqual([
      { url: 'http://shop.test/p/1', label: 'detail', score: 5, userData: { category: 'tea' } },
      { url: 'http://shop.test/c/tea?page=2', label: 'list', userData: { category: 'tea' } },
    ]);
    expect(listed.items).toEqual([]);

    const detail = await testPage(shop, {
      url: 'http://shop.test/p/1',
      label: 'detail',
      userData: { category: 'tea' },
      html: '<h1>Sencha</h1><span class="price">3.5</span>',
    });
    expect(detail.items).toEqual([{ name: 'Sencha', price: 3.5, category: 'tea' }]);

    const odd = await testPage(shop, { url: 'http://shop.test/x', html: '<p>?</p>' });
    expect(odd.items).toEqual([]);
    expect(odd.invalidItems).toHaveLength(1);
    expect(odd.invalidItems[0]!.error).toContain('price');
    expect(odd.logs).toEqual([
      { level: 'info', message: 'default handler', fields: { status: 200, url: 'http://shop.test/x' } },
    ]);
  });

  it('refuses an item too large for one record, and a value that is not an object', async () => {
    const crawl = defineCrawl({
      name: 'big',
      seeds: ['http://big.test/'],
      handle: ({ push }) => {
        push({ text: 'x'.repeat(600_000) });
        push(['not', 'an', 'object'] as unknown as Record<string, unknown>);
        push({ fine: true });
      },
    });
    const page = await testPage(crawl, { url: 'http://big.test/', html: '' });
    expect(page.items).toEqual([{ fine: true }]);
    expect(page.invalidItems.map((item) => item.error)).toEqual([
      expect.stringContaining('fit in one record'),
      'an item is an object',
    ]);
  });

  it('throws what the handler throws', async () => {
    await expect(testPage(shop, { url: 'http://shop.test/t', label: 'throws', html: '' })).rejects.toThrow(
      'TypeError: the page has no price',
    );
  });
});

describe("a crawl module's own strategy", () => {
  it('is recorded as a module strategy and found by the strategy worker in the definition', async () => {
    const path = fileURLToPath(new URL('./fixtures/scored-crawl.ts', import.meta.url));
    const definition = await importDefinition(new URL('./fixtures/scored-crawl.ts', import.meta.url).href);
    const { job } = definitionJob(definition, { module: path });
    expect(job.settings.strategy).toMatchObject({ name: 'module', module: path });
    const strategy = await loadStrategy(job);
    expect(strategy.name).toBe('sales-first');
    const from = { url: 'http://shop.test/', depth: 0, score: 0 };
    expect(strategy.scoreLink({ url: 'http://shop.test/sale/1', depth: 1, from }, job)).toBe(10);
  });
});
