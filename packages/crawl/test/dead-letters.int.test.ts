import type { DeadLetter } from '@kraul/protocol';
import { encodeMessage, groupId } from '@kraul/protocol';
import { startTestSite, uniqueName } from '@kraul/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCrawlTopics,
  fetchRequest,
  OutcomeReader,
  siteJob,
  startWorker,
  TopicReader,
  waitFor,
} from './crawl-harness.ts';

const encoder = new TextEncoder();

describe('a crawler worker given requests it cannot crawl', { timeout: 60_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  it('sends what does not decode to the dead-letter topic and crawls the requests after it', async () => {
    const site = await startTestSite({ hosts: 1 });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(1);
    cleanups.push(() => crawl.close());
    const job = siteJob(site, { politeness: { delayMs: 50 } });
    await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const letters = await TopicReader.start<DeadLetter>(crawl.bus, crawl.topics, 'dlq');
    cleanups.push(() => letters.close());
    const { stop } = await startWorker(crawl, { partitionBuffer: 64 });
    cleanups.push(stop);

    const key = site.hosts[0]!.address;
    const before = fetchRequest(job, site.url(0, '/p/0'));
    const badFp = { ...fetchRequest(job, site.url(0, '/p/1')), fp: 'not-a-fingerprint' };
    // Valid as a message, but no URL the crawler can fetch: reported, not left hanging.
    const mailto = fetchRequest(job, 'mailto:someone@example.com');
    const after = [2, 3, 4].map((n) => fetchRequest(job, site.url(0, `/p/${n}`)));
    // One send, one partition: the bad records sit between good ones of the same batch.
    await crawl.producer.send([
      { topic: crawl.topics.todo, key, value: encodeMessage(before) },
      { topic: crawl.topics.todo, key, value: Uint8Array.from([0xff, 0xfe, 0x00, 0x9c]) },
      { topic: crawl.topics.todo, key, value: encoder.encode('{"v":1,"type":"fetch.request",') },
      { topic: crawl.topics.todo, key, value: encoder.encode(JSON.stringify({ v: 1, ...badFp })) },
      { topic: crawl.topics.todo, key, value: encodeMessage(mailto) },
      ...after.map((request) => ({ topic: crawl.topics.todo, key, value: encodeMessage(request) })),
    ]);

    const valid = [before, mailto, ...after];
    await outcomes.waitForAll(valid, 30_000);
    await waitFor(() => letters.records.length >= 3, 'three dead letters');

    for (const request of [before, ...after]) {
      expect(outcomes.of(request.url)).toMatchObject({ type: 'page.fetched', status: 200 });
    }
    expect(outcomes.of(mailto.url)).toMatchObject({
      type: 'fetch.failed',
      errorClass: 'unsupported_scheme',
      retryable: false,
    });
    expect(outcomes.all).toHaveLength(valid.length);

    const consumerGroup = groupId(crawl.prefix, 'crawlers');
    const [notUtf8, notJson, badField] = [...letters.messages].sort((a, b) => a.offset - b.offset);
    expect(notUtf8).toMatchObject({
      type: 'dlq.record',
      topic: crawl.topics.todo,
      partition: 0,
      offset: 1,
      key,
      valueEncoding: 'base64',
      value: Buffer.from([0xff, 0xfe, 0x00, 0x9c]).toString('base64'),
      error: { code: 'protocol.not_utf8' },
      consumerGroup,
    });
    expect(notJson).toMatchObject({
      offset: 2,
      valueEncoding: 'utf8',
      error: { code: 'protocol.invalid_json' },
    });
    expect(badField).toMatchObject({
      offset: 3,
      valueEncoding: 'utf8',
      error: { code: 'protocol.invalid_field', field: 'fp' },
      consumerGroup,
    });
    expect(badField!.error.message).toContain('fp');

    // Nothing is left hanging: the whole partition gets committed.
    const admin = crawl.bus.admin();
    try {
      await waitFor(async () => {
        const [lag] = await admin.lag(consumerGroup, crawl.topics.todo);
        return lag?.lag === 0;
      }, 'the crawler group to commit the whole todo partition');
    } finally {
      await admin.close();
    }
  });

  it('reports a request of a job whose settings it cannot use, and keeps the partition moving', async () => {
    const site = await startTestSite({ hosts: 1 });
    cleanups.push(() => site.close());
    const crawl = await createCrawlTopics(1);
    cleanups.push(() => crawl.close());
    const good = siteJob(site, { politeness: { delayMs: 0 } });
    // Both pass the job schema; neither can be built into a scope or a fetcher.
    const badPattern = {
      ...good,
      id: uniqueName('job-bad-pattern'),
      settings: { ...good.settings, scope: { ...good.settings.scope, allow: ['(unclosed'] } },
    };
    const badAddress = {
      ...good,
      id: uniqueName('job-bad-address'),
      settings: {
        ...good.settings,
        safety: { ...good.settings.safety, allowedAddresses: ['not-an-address'] },
      },
    };
    for (const job of [good, badPattern, badAddress]) await crawl.publishJob(job);
    const outcomes = await OutcomeReader.start(crawl);
    cleanups.push(() => outcomes.close());
    const { stop } = await startWorker(crawl);
    cleanups.push(stop);

    const broken = [
      fetchRequest(badPattern, site.url(0, '/p/0')),
      fetchRequest(badAddress, site.url(0, '/p/1')),
    ];
    const fine = fetchRequest(good, site.url(0, '/p/2'));
    await crawl.sendRequests([...broken, fine]);
    await outcomes.waitForAll([...broken, fine], 30_000);

    for (const request of broken) {
      expect(outcomes.of(request.url)).toMatchObject({
        type: 'fetch.failed',
        errorClass: 'aborted',
        retryable: true,
      });
    }
    expect(outcomes.of(fine.url)).toMatchObject({ type: 'page.fetched', status: 200 });
    const admin = crawl.bus.admin();
    try {
      await waitFor(async () => {
        const [lag] = await admin.lag(groupId(crawl.prefix, 'crawlers'), crawl.topics.todo);
        return lag?.lag === 0;
      }, 'the crawler group to commit the whole todo partition');
    } finally {
      await admin.close();
    }
  });
});
