import type { OutgoingRecord } from '@kraul/bus';
import { encodeMessage, type PageDocument } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { kraulOn, testBus, testPrefix } from './cluster.ts';

function page(job: string, index: number): PageDocument {
  const fp = index.toString(16).padStart(16, '0');
  return {
    type: 'page.document',
    job,
    url: `https://example.com/p${index}`,
    fp,
    finalUrl: `https://example.com/p${index}`,
    status: 200,
    fetchedAt: 1_700_000_000_000 + index,
    contentType: 'text/html',
    headers: { 'content-type': 'text/html' },
    title: `Page ${index}`,
    text: `text of page ${index}`,
  };
}

async function produce(records: OutgoingRecord[]): Promise<void> {
  const bus = testBus();
  try {
    await bus.producer().send(records);
  } finally {
    await bus.close();
  }
}

function pagesRecord(prefix: string, document: PageDocument): OutgoingRecord {
  return { topic: `${prefix}.pages`, key: document.fp, value: encodeMessage(document) };
}

function jsonLines(stdout: string): PageDocument[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PageDocument);
}

describe('kraul export on a real broker', () => {
  it('writes one JSON line per page document of the job, then goes on from where it stopped', async () => {
    const prefix = testPrefix('export');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '3'])).code).toBe(0);
    const docs = [0, 1, 2, 3, 4].map((index) => page('docs', index));
    await produce([
      ...docs.map((document) => pagesRecord(prefix, document)),
      pagesRecord(prefix, page('other', 9)),
      { topic: `${prefix}.pages`, key: 'junk', value: new TextEncoder().encode('not json') },
    ]);

    const first = await kraulOn(prefix, ['export', '--job', 'docs']);
    expect(first.code).toBe(0);
    const exported = jsonLines(first.stdout);
    expect(exported.map((document) => document.url).sort()).toEqual(
      docs.map((document) => document.url).sort(),
    );
    expect(exported.find((document) => document.fp === docs[3]!.fp)).toEqual(docs[3]);
    expect(first.stderr).toContain(`${prefix}.pages:`);
    expect(first.stderr).toContain('message is not JSON');
    expect(first.stderr).toContain(
      `kraul: exported 5 pages of job docs from ${prefix}.pages, skipped 1 invalid record`,
    );

    // The export group remembers: a second run writes only what arrived since.
    const later = page('docs', 5);
    await produce([pagesRecord(prefix, later)]);
    const second = await kraulOn(prefix, ['export', '--job', 'docs']);
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout)).toEqual([later]);

    const nothingNew = await kraulOn(prefix, ['export', '--job', 'docs']);
    expect(nothingNew).toMatchObject({ code: 0, stdout: '' });

    // --from-beginning exports everything again without moving the group.
    const all = await kraulOn(prefix, ['export', '--job', 'docs', '--from-beginning']);
    expect(all.code).toBe(0);
    expect(jsonLines(all.stdout)).toHaveLength(6);
    const stillNothing = await kraulOn(prefix, ['export', '--job', 'docs']);
    expect(stillNothing).toMatchObject({ code: 0, stdout: '' });
  });

  it('keeps writing with --follow until Ctrl-C', async () => {
    const prefix = testPrefix('follow');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '1'])).code).toBe(0);
    const document = page('live', 1);
    await produce([pagesRecord(prefix, document)]);
    const follow = await kraulOn(prefix, ['export', '--job', 'live', '--follow'], {
      interruptWhen: { text: '\n', signal: 'SIGINT' },
    });
    expect(follow.code).toBe(0);
    expect(jsonLines(follow.stdout)).toEqual([document]);
    expect(follow.stderr).toContain('kraul: exported 1 page of job live');
  });
});
