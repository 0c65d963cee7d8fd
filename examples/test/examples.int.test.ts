import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPage } from '@kraul/framework';
import {
  NEWS_ARTICLES,
  newsArticle,
  SHOP_PRODUCTS,
  shopProduct,
  startTestSite,
  type TestSite,
} from '@kraul/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import news from '../news-articles/crawl.ts';
import products from '../product-listing/crawl.ts';

const kraul = fileURLToPath(new URL('../../services/cli/bin/kraul.ts', import.meta.url));

/** Items in URL order, to compare two lists whatever order the crawl found them in. */
const byUrl = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a['url']).localeCompare(String(b['url']));

interface ItemLine {
  url: string;
  label?: string;
  data: Record<string, unknown>;
}

/**
 * Each example crawls the local test site with `kraul run <example> --out items.jsonl`, as
 * a user runs it, with a short delay and loopback allowed.
 */
describe('examples', () => {
  let site: TestSite;
  let dir: string;

  beforeAll(async () => {
    site = await startTestSite({ hosts: 1, pagesPerHost: 10 });
    dir = await mkdtemp(join(tmpdir(), 'kraul-examples-'));
  });

  afterAll(async () => {
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function runExample(name: string, env: Record<string, string>): Promise<ItemLine[]> {
    const { execFile } = await import('node:child_process');
    const out = join(dir, `${name}.jsonl`);
    const args = [kraul, 'run', fileURLToPath(new URL(`../${name}/crawl.ts`, import.meta.url))];
    args.push(
      '--out',
      out,
      '--delay',
      '10ms',
      '--allow-private',
      '--no-progress',
      '--data-dir',
      join(dir, name),
    );
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        args,
        { env: { ...process.env, ...env }, timeout: 120_000 },
        (error, _o, err) => (error ? reject(new Error(`${name}: ${error.message}\n${err}`)) : resolve(err)),
      );
    });
    expect(stderr).toMatch(/^done: /m);
    return (await readFile(out, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ItemLine);
  }

  it('news-articles: every article once, with headline, author, date and text; no ads or tags', async () => {
    const items = await runExample('news-articles', { NEWS_ORIGIN: site.hosts[0]!.origin });
    const expected = Array.from({ length: NEWS_ARTICLES }, (_, i) => newsArticle(i + 1)).map((a) => ({
      url: site.hosts[0]!.origin + a.path,
      headline: a.headline,
      author: a.author,
      publishedAt: a.publishedAt,
      text: a.paragraphs.join('\n'),
    }));
    expect(items.map((item) => item.data).sort(byUrl)).toEqual(expected.sort(byUrl));
    expect(site.requests({ path: /^\/(ads|login|news\/tag)/ })).toEqual([]);
  });

  it('product-listing: every product of every listing page, with the page it was listed on', async () => {
    const items = await runExample('product-listing', { SHOP_ORIGIN: site.hosts[0]!.origin });
    const expected = Array.from({ length: SHOP_PRODUCTS }, (_, i) => shopProduct(i + 1)).map((p) => ({
      url: `${site.hosts[0]!.origin}/shop/item/${p.id}`,
      name: p.name,
      cents: p.price,
      category: p.category,
      listPage: Math.ceil(p.id / 4),
    }));
    expect(items.map((item) => item.data).sort(byUrl)).toEqual(expected.sort(byUrl));
    expect(new Set(items.map((item) => item.label))).toEqual(new Set(['detail']));
  });

  it('sitemap-pages: exactly the pages the sitemap lists, each with its title', async () => {
    const items = await runExample('sitemap-pages', { SITE_ORIGIN: site.hosts[0]!.origin });
    const listed = Array.from({ length: 10 }, (_, n) => `${site.hosts[0]!.origin}/p/${n}`);
    expect(items.map((item) => item.data['url']).sort()).toEqual(listed.sort());
    for (const item of items) expect(String(item.data['title'])).not.toBe('');
  });

  it('handlers work on fixture pages alone, with testPage', async () => {
    const page = await testPage(products, {
      url: 'https://shop.example/shop/item/3',
      label: 'detail',
      userData: { page: 1 },
      html: '<h1>Green tea</h1><p class="price" data-cents="450">4.50</p><p class="category">tea</p>',
    });
    expect(page.items).toEqual([
      {
        url: 'https://shop.example/shop/item/3',
        name: 'Green tea',
        cents: 450,
        category: 'tea',
        listPage: 1,
      },
    ]);
    const front = await testPage(news, {
      url: 'https://news.example/news/',
      label: 'front',
      html: '<a class="headline" href="/news/2026/01/01/story-1">1</a><a href="/ads/1">ad</a>',
    });
    expect(front.enqueued).toEqual([
      { url: 'https://news.example/news/2026/01/01/story-1', label: 'article', userData: {} },
    ]);
  });
});
