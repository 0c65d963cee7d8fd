import { encodeMessage, type PageDocument, type PageRobots } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { kraulOn, testBus, testPrefix } from './cluster.ts';

const NOT_MARKED: PageRobots = {
  noindex: false,
  nofollow: false,
  noarchive: false,
  nosnippet: false,
  noimageindex: false,
  notranslate: false,
};

function page(index: number, robots: PageRobots | undefined): PageDocument {
  return {
    type: 'page.document',
    job: 'docs',
    url: `https://example.com/p${index}`,
    fp: index.toString(16).padStart(16, '0'),
    finalUrl: `https://example.com/p${index}`,
    status: 200,
    fetchedAt: 1_700_000_000_000 + index,
    headers: {},
    text: `text of page ${index}`,
    ...(robots ? { robots } : {}),
  };
}

describe('kraul export --skip-noindex on a real broker', () => {
  it('leaves out the pages marked noindex and says how many', async () => {
    const prefix = testPrefix('export-noindex');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);
    const pages = [
      page(0, NOT_MARKED),
      page(1, { ...NOT_MARKED, noindex: true, nofollow: true }),
      page(2, { ...NOT_MARKED, nofollow: true }),
      // Written before pages carried their directives: nothing says noindex.
      page(3, undefined),
      page(4, { ...NOT_MARKED, noindex: true }),
    ];
    const bus = testBus();
    try {
      await bus.producer().send(
        pages.map((document) => ({
          topic: `${prefix}.pages`,
          key: document.fp,
          value: encodeMessage(document),
        })),
      );
    } finally {
      await bus.close();
    }

    const skipping = await kraulOn(prefix, ['export', '--job', 'docs', '--from-beginning', '--skip-noindex']);
    expect(skipping.code).toBe(0);
    const urls = skipping.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as PageDocument).url);
    expect(urls.sort()).toEqual([0, 2, 3].map((index) => `https://example.com/p${index}`));
    expect(skipping.stderr).toContain(
      `kraul: exported 3 pages of job docs from ${prefix}.pages, left out 2 noindex pages`,
    );

    const everything = await kraulOn(prefix, ['export', '--job', 'docs', '--from-beginning']);
    expect(everything.stdout.split('\n').filter((line) => line !== '')).toHaveLength(5);
    expect(everything.stdout).toContain('"robots":{"noindex":true,"nofollow":true');
  });
});
