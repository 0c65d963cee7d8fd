import { fileURLToPath } from 'node:url';
import { decodeMessage, type FetchRequest, type Job, type PageFetched, topicNames } from '@kraul/protocol';
import { createLogger, createMetricsRegistry } from '@kraul/telemetry';
import { fingerprint } from '@kraul/url';
import { afterAll, describe, expect, it } from 'vitest';
import { DefinitionHook } from '../src/definition-hook.ts';
import { definitionJob, importDefinition, requestMeta } from '../src/index.ts';
import type { FetchedPage } from '../src/page-hooks.ts';

const modulePath = fileURLToPath(new URL('./fixtures/shop-crawl.ts', import.meta.url));
const topics = topicNames('t');
const metrics = createMetricsRegistry();
const hook = new DefinitionHook({
  topics,
  groupId: 't-crawlers',
  log: createLogger({ name: 'test', level: 'silent' as 'info' }),
  metrics,
  threads: 2,
});
afterAll(() => hook.close());

async function shopJob(): Promise<Job> {
  const definition = await importDefinition(new URL('./fixtures/shop-crawl.ts', import.meta.url).href);
  return definitionJob(definition, { module: modulePath, now: 1 }).job;
}

function page(job: Job, url: string, html: string, meta?: FetchRequest['meta']): FetchedPage {
  const request: FetchRequest = {
    type: 'fetch.request',
    job: job.id,
    url,
    fp: fingerprint(url),
    depth: 1,
    score: 0,
    attempt: 1,
    lease: 'l1',
    ...(meta ? { meta } : {}),
  };
  const event: PageFetched = {
    type: 'page.fetched',
    job: job.id,
    url,
    fp: request.fp,
    depth: 1,
    attempt: 1,
    lease: 'l1',
    status: 200,
    finalUrl: url,
    redirects: [],
    fetchedAt: 1,
    timings: { ttfbMs: 1, totalMs: 1 },
    bytes: html.length,
    links: [{ url: 'http://shop.test/about' }],
  };
  return {
    request,
    job,
    event,
    response: {
      url,
      address: '127.0.0.2',
      status: 200,
      finalUrl: url,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      contentType: 'text/html',
      body: Buffer.from(html),
      skippedBody: false,
    },
  };
}

describe('DefinitionHook', () => {
  it('routes by label, enqueues with score, label and data, and publishes valid items keyed by job', async () => {
    const job = await shopJob();
    const list = page(
      job,
      'http://shop.test/c/tea',
      '<a class="product" href="/p/1">1</a><a class="product" href="p/2">2</a><a rel="next" href="?page=2">next</a>',
      requestMeta('list', { category: 'tea' }),
    );
    const listed = await hook.hook(list);
    expect(listed).toEqual({ records: [] });
    expect(list.event.links).toEqual([
      { url: 'http://shop.test/p/1', score: 5, meta: { label: 'detail', data: '{"category":"tea"}' } },
      { url: 'http://shop.test/c/p/2', score: 5, meta: { label: 'detail', data: '{"category":"tea"}' } },
      { url: 'http://shop.test/c/tea?page=2', meta: { label: 'list', data: '{"category":"tea"}' } },
    ]);

    const detail = page(
      job,
      'http://shop.test/p/1',
      '<h1> Green tea </h1><span class="price">4.5</span>',
      list.event.links[0]!.meta,
    );
    const outcome = await hook.hook(detail);
    expect(outcome && 'records' in outcome).toBe(true);
    const records = (outcome as { records: { topic: string; key: string | null; value: Uint8Array }[] })
      .records;
    expect(records).toHaveLength(1);
    expect(records[0]!.topic).toBe(topics.items);
    expect(records[0]!.key).toBe('shop');
    const item = decodeMessage(records[0]!.value, 'items');
    expect(item).toMatchObject({
      type: 'item',
      job: 'shop',
      id: `${fingerprint('http://shop.test/p/1')}-0`,
      label: 'detail',
      data: { name: 'Green tea', price: 4.5, category: 'tea' },
    });
    expect(detail.event.links).toEqual([]);
  });

  it('dead-letters an item the schema refuses and counts it', async () => {
    const job = await shopJob();
    const outcome = await hook.hook(page(job, 'http://shop.test/odd', '<p>odd</p>'));
    const records = (outcome as { records: { topic: string; value: Uint8Array }[] }).records;
    expect(records.map((record) => record.topic)).toEqual([topics.dlq]);
    const letter = decodeMessage(records[0]!.value, 'dlq');
    expect(letter).toMatchObject({
      type: 'dlq.record',
      topic: topics.items,
      error: { code: 'framework.invalid_item', field: 'price' },
    });
    expect(hook.stats().invalidItems).toBeGreaterThanOrEqual(1);
  });

  it('turns a handler that throws into a retryable handler failure with its stack', async () => {
    const job = await shopJob();
    const outcome = await hook.hook(
      page(job, 'http://shop.test/t', '<p/>', requestMeta('throws', undefined)),
    );
    expect(outcome).toMatchObject({ failure: { errorClass: 'handler', retryable: true } });
    const message = (outcome as { failure: { message: string } }).failure.message;
    expect(message).toContain('TypeError: the page has no price');
    expect(message).toContain('shop-crawl.ts');
  });

  it('cuts off a handler that never returns, and the next page is handled', async () => {
    const job = await shopJob();
    const before = hook.stats().timeouts;
    const looping = hook.hook(page(job, 'http://shop.test/loop', '<p/>', requestMeta('loops', undefined)));
    const detail = hook.hook(
      page(
        job,
        'http://shop.test/p/9',
        '<h1>Oolong</h1><span class="price">7</span>',
        requestMeta('detail', { category: 'tea' }),
      ),
    );
    expect(await looping).toMatchObject({ failure: { errorClass: 'handler_timeout', retryable: true } });
    expect(await detail).toMatchObject({ records: [{ topic: topics.items }] });
    const after = await hook.hook(
      page(
        job,
        'http://shop.test/p/10',
        '<h1>Sencha</h1><span class="price">3</span>',
        requestMeta('detail', { category: 'tea' }),
      ),
    );
    expect(after).toMatchObject({ records: [{ topic: topics.items }] });
    expect(hook.stats().timeouts).toBe(before + 1);
    expect(await metrics.metrics()).toContain('crawler_handler_pages_total{outcome="timeout"} 1');
  });

  it('leaves pages of jobs without a handler, and non-HTML pages, alone', async () => {
    const job = await shopJob();
    const plain: Job = { ...job, settings: { ...job.settings, handler: undefined } };
    expect(await hook.hook(page(plain, 'http://shop.test/x', '<p/>'))).toBeUndefined();
    const pdf = page(job, 'http://shop.test/f.pdf', '%PDF');
    pdf.response.contentType = 'application/pdf';
    expect(await hook.hook(pdf)).toBeUndefined();
  });

  it('fails the pages of a module that does not load, naming it', async () => {
    const job = await shopJob();
    const broken: Job = {
      ...job,
      id: 'broken',
      settings: { ...job.settings, handler: { module: '/nonexistent/crawl.ts', timeoutMs: 1_000 } },
    };
    const outcome = await hook.hook(page(broken, 'http://shop.test/b', '<p/>'));
    expect(outcome).toMatchObject({ failure: { errorClass: 'handler', retryable: true } });
    expect((outcome as { failure: { message: string } }).failure.message).toContain('/nonexistent/crawl.ts');
  });
});
