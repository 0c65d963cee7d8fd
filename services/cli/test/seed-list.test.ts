import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseSeedLine, parseSeedText, readSeedLines, type SeedLineResult } from '../src/seed-list.ts';
import { seedMessages } from '../src/seed-publisher.ts';

const list = [
  '# docs to crawl first',
  'https://example.com/docs/',
  '',
  '   ',
  '  https://Example.com/guide#install  ',
  'not a url',
  '# ftp is not crawled',
  'ftp://files.example.com/',
  'https://example.org/a?b=1',
].join('\n');

describe('seed lists', () => {
  it('keep URLs with their line numbers, skipping comments and blank lines', () => {
    const { urls } = parseSeedText(list);
    expect(urls).toEqual([
      { line: 2, url: 'https://example.com/docs/' },
      { line: 5, url: 'https://example.com/guide' },
      { line: 9, url: 'https://example.org/a?b=1' },
    ]);
  });

  it('report bad lines with their line numbers and why', () => {
    const { rejected } = parseSeedText(list);
    expect(rejected).toEqual([
      { line: 6, text: 'not a url', reason: 'Not a valid URL' },
      { line: 8, text: 'ftp://files.example.com/', reason: 'Unsupported URL scheme ftp:' },
    ]);
  });

  it('count lines alike with Windows line ends', () => {
    const { urls, rejected } = parseSeedText(list.replaceAll('\n', '\r\n'));
    expect(urls.map((url) => url.line)).toEqual([2, 5, 9]);
    expect(rejected.map((line) => line.line)).toEqual([6, 8]);
  });

  it('treat only a leading # as a comment: later it is a fragment', () => {
    expect(parseSeedLine('#https://example.com/', 1)).toBeUndefined();
    expect(parseSeedLine('https://example.com/#top', 7)).toEqual({
      ok: true,
      line: 7,
      url: 'https://example.com/',
    });
  });

  it('stream line by line with the same numbers', async () => {
    const results: SeedLineResult[] = [];
    for await (const result of readSeedLines(Readable.from([list.slice(0, 40), list.slice(40)])))
      results.push(result);
    expect(results.map((result) => [result.line, result.ok])).toEqual([
      [2, true],
      [5, true],
      [6, false],
      [8, false],
      [9, true],
    ]);
  });

  it('become crawl.seeded messages of at most 1,000 URLs', () => {
    const urls = Array.from({ length: 2_345 }, (_, index) => `https://host${index}.example/`);
    const messages = seedMessages('docs', urls, 'cli');
    expect(messages.map((message) => message.urls.length)).toEqual([1_000, 1_000, 345]);
    expect(messages[1]).toMatchObject({ type: 'crawl.seeded', job: 'docs', source: 'cli' });
    expect(messages[2]!.urls[0]).toEqual({ url: 'https://host2000.example/' });
  });
});
