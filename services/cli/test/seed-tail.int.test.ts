import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { kraulOn, testBus, testPrefix } from './cluster.ts';

const encoder = new TextEncoder();

/** `topic:partition:offset key=… …` lines of `kraul tail`, parsed. */
function tailLines(stdout: string) {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const match = /^(\S+):(\d+):(\d+) key=(\S+) (.*)$/.exec(line);
      if (!match) throw new Error(`not a tail line: ${line}`);
      return {
        topic: match[1]!,
        partition: Number(match[2]),
        offset: Number(match[3]),
        key: match[4]!,
        rest: match[5]!,
      };
    });
}

describe('kraul seed, tail and status on a real broker', () => {
  it('seeds a file in chunks, reports bad lines by number, and tail --decode shows the records', async () => {
    const prefix = testPrefix('seed');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);
    expect((await kraulOn(prefix, ['job', 'create', 'docs', '--seed', 'https://example.com/'])).code).toBe(0);

    const lines = ['# seeds for docs', ''];
    for (let index = 0; index < 1_200; index += 1) lines.push(`https://site${index}.example/page`);
    lines.splice(5, 0, 'not a url');
    lines.push('ftp://files.example/');
    const file = join(mkdtempSync(join(tmpdir(), 'kraul-seed-')), 'urls.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const seeded = await kraulOn(prefix, ['seed', '--job', 'docs', '--file', file]);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toBe(`seeded 1200 URLs for job docs on ${prefix}.events, skipped 2 lines\n`);
    expect(seeded.stderr).toContain('kraul: skipped line 6 (not a url): Not a valid URL');
    expect(seeded.stderr).toContain(
      `kraul: skipped line ${lines.length} (ftp://files.example/): Unsupported URL scheme ftp:`,
    );

    // One record from job create, two from the file (1,000 + 200 URLs).
    const tail = await kraulOn(prefix, [
      'tail',
      'events',
      '--from-beginning',
      '--max',
      '3',
      '--decode',
      '--max-bytes',
      '0',
    ]);
    expect(tail.stderr).toBe('');
    expect(tail.code).toBe(0);
    const records = tailLines(tail.stdout);
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record.topic).toBe(`${prefix}.events`);
      expect(record.rest).toMatch(/^type=crawl\.seeded value=\{/);
    }
    const urlCounts = records
      .map((record) =>
        decodeMessage(encoder.encode(record.rest.slice(record.rest.indexOf('value=') + 6)), 'events'),
      )
      .map((message) => (message.type === 'crawl.seeded' ? message.urls.length : 0))
      .sort((a, b) => a - b);
    expect(urlCounts).toEqual([1, 200, 1_000]);
    // Each chunk is keyed by the host of its first URL.
    expect(records.map((record) => record.key).sort()).toEqual([
      'example.com',
      'site0.example',
      'site1000.example',
    ]);
  });

  it('reads a seed list from stdin and refuses an unknown job', async () => {
    const prefix = testPrefix('stdin');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '1'])).code).toBe(0);
    expect((await kraulOn(prefix, ['job', 'create', 'j', '--seed', 'https://example.com/'])).code).toBe(0);
    const fromStdin = await kraulOn(prefix, ['seed', '--job', 'j', '--file', '-'], {
      input: 'https://example.com/a\n# comment\nhttps://example.com/b\n',
    });
    expect(fromStdin).toMatchObject({
      code: 0,
      stdout: `seeded 2 URLs for job j on ${prefix}.events, skipped 0 lines\n`,
    });
    const unknown = await kraulOn(prefix, ['seed', '--job', 'other', 'https://example.com/']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('job other does not exist');
  });

  it('shows a garbage record as invalid, and status counts lag and dead letters', async () => {
    const prefix = testPrefix('garbage');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '2'])).code).toBe(0);
    const bus = testBus();
    const producer = bus.producer();
    try {
      await producer.send([
        {
          topic: `${prefix}.events`,
          key: 'example.com',
          value: encodeMessage({
            type: 'crawl.seeded',
            job: 'j',
            urls: [{ url: 'https://example.com/' }],
            source: 'test',
          }),
          partition: 0,
        },
        {
          topic: `${prefix}.events`,
          key: 'junk',
          value: encoder.encode('{"v":1,"type":"crawl.seeded"'),
          partition: 0,
        },
        {
          topic: `${prefix}.events`,
          key: 'junk',
          value: encoder.encode('{"v":1,"type":"page.document"}'),
          partition: 0,
        },
        { topic: `${prefix}.dlq`, key: null, value: encoder.encode('{}') },
      ]);
    } finally {
      await bus.close();
    }

    const tail = await kraulOn(prefix, [
      'tail',
      `${prefix}.events`,
      '--from-beginning',
      '--max',
      '3',
      '--decode',
    ]);
    expect(tail.code).toBe(0);
    const records = tailLines(tail.stdout);
    expect(records.map((record) => record.offset)).toEqual([0, 1, 2]);
    expect(records[0]!.rest).toMatch(/^type=crawl\.seeded /);
    expect(records[1]!.rest).toMatch(
      /^invalid=protocol\.invalid_json error="message is not JSON: [^"]+" value=\{"v":1/,
    );
    expect(records[2]!.rest).toMatch(
      /^invalid=protocol\.wrong_topic error="field type: a page\.document message/,
    );

    const status = await kraulOn(prefix, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^${prefix}-strategy +${prefix}\\.events +3 +none +1/2: p0=3$`, 'm'),
    );
    expect(status.stdout).toMatch(new RegExp(`^${prefix}-crawlers +${prefix}\\.todo +0 +none +-$`, 'm'));
    expect(status.stdout).toContain(`dead letters: 1 record on ${prefix}.dlq`);
  });

  it('follows a topic with a group that remembers what it printed', async () => {
    const prefix = testPrefix('group');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '1'])).code).toBe(0);
    const bus = testBus();
    const producer = bus.producer();
    try {
      const records = ['one', 'two', 'three'].map((text) => ({
        topic: `${prefix}.dlq`,
        key: text,
        value: encoder.encode(text),
      }));
      await producer.send(records);
    } finally {
      await bus.close();
    }
    const group = `${prefix}-watchers`;
    const first = await kraulOn(prefix, ['tail', 'dlq', '--group', group, '--from-beginning', '--max', '2']);
    expect(first.code).toBe(0);
    expect(tailLines(first.stdout).map((record) => record.rest)).toEqual(['value=one', 'value=two']);
    // The group committed what it printed: the next run starts after it.
    const next = await kraulOn(prefix, ['tail', 'dlq', '--group', group, '--from-beginning', '--max', '1']);
    expect(next.code).toBe(0);
    expect(tailLines(next.stdout).map((record) => [record.offset, record.rest])).toEqual([
      [2, 'value=three'],
    ]);
  });

  it('tails until Ctrl-C and leaves cleanly', async () => {
    const prefix = testPrefix('sigint');
    expect((await kraulOn(prefix, ['topics', 'create', '--partitions', '1'])).code).toBe(0);
    const bus = testBus();
    try {
      await bus.producer().send([{ topic: `${prefix}.todo`, key: 'k', value: encoder.encode('first') }]);
    } finally {
      await bus.close();
    }
    const tail = await kraulOn(prefix, ['tail', 'todo', '--from-beginning'], {
      interruptWhen: { text: 'value=first\n', signal: 'SIGINT' },
    });
    expect(tail.code).toBe(0);
    expect(tail.stdout).toBe(`${prefix}.todo:0:0 key=k value=first\n`);
  });
});
