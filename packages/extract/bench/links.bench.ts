// Link extraction on a realistic page, streaming tokenizer against a cheerio DOM, in one run:
//   node packages/extract/bench/links.bench.ts
// Prints a markdown table (median of several alternating rounds) and the ratio.
import { isDeepStrictEqual } from 'node:util';
import { extractLinks, extractLinksWithCheerio } from '../src/index.ts';
import { buildRealisticPage } from './realistic-page.ts';

const PAGE_URL = 'https://www.example.com/news/2024/kafka-crawlers';
const WARMUP_PAGES = 300;
const ROUND_MS = 500;
const ROUNDS = 7;

type Extractor = typeof extractLinks;

const html = buildRealisticPage();
const streaming = extractLinks(html, PAGE_URL);
if (!isDeepStrictEqual(streaming, extractLinksWithCheerio(html, PAGE_URL))) {
  throw new Error('The two extractors disagree on the benchmark page');
}

/** Pages per second over one round of about ROUND_MS. */
function round(extract: Extractor): number {
  let pages = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let index = 0; index < 20; index++) extract(html, PAGE_URL);
    pages += 20;
    elapsed = performance.now() - started;
  } while (elapsed < ROUND_MS);
  return (pages * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const extractors: [string, Extractor][] = [
  ['htmlparser2 tokenizer, streaming (`extractLinks`)', extractLinks],
  ['cheerio DOM (`extractLinksWithCheerio`)', extractLinksWithCheerio],
];
for (const [, extract] of extractors) {
  for (let index = 0; index < WARMUP_PAGES; index++) extract(html, PAGE_URL);
}
// Alternating rounds, so drift in machine load hits both alike.
const rates: number[][] = extractors.map(() => []);
for (let index = 0; index < ROUNDS; index++) {
  for (const [which, [, extract]] of extractors.entries()) rates[which]!.push(round(extract));
}

const medians = rates.map(median);
console.log(
  `Page: ${(html.length / 1024).toFixed(1)} KB, ${streaming.links.length} unique links kept, ` +
    `${streaming.skipped} skipped; median of ${ROUNDS} rounds of ${ROUND_MS} ms, Node ${process.version}\n`,
);
console.log('| extractor | pages/s | µs/page |');
console.log('|---|---:|---:|');
for (const [which, [name]] of extractors.entries()) {
  const rate = medians[which]!;
  console.log(`| ${name} | ${Math.round(rate).toLocaleString('en')} | ${(1e6 / rate).toFixed(1)} |`);
}
console.log(`\nstreaming / cheerio: ${(medians[0]! / medians[1]!).toFixed(2)}x`);
