// Micro-benchmark of the per-link hot path: node packages/url/bench/url.bench.ts
// Prints operations per second (median of several rounds) over a few thousand realistic links.
import {
  fingerprint,
  hostKey,
  type NormalizeOptions,
  normalizeUrl,
  partitionForKey,
  TRACKING_PARAMS,
  tryNormalizeUrl,
} from '../src/index.ts';

const LINKS = 5000;
const ROUND_MS = 400;
const ROUNDS = 7;

/** Deterministic pseudo-random numbers, so every run measures the same links. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const random = lcg(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const hosts = [
  'www.example.com',
  'en.wikipedia.org',
  'News.Example.co.uk',
  'blog.example.org',
  'cdn.static-example.net',
  'münchen.de',
  'shop.example.com.au',
  'user.github.io',
  'api.example.io',
  '203.0.113.7',
];
const words = [
  'articles',
  'news',
  'wiki',
  'products',
  'category',
  'tag',
  '2024',
  'page',
  'Kafka_(novel)',
  'über',
];

function path(): string {
  let p = '';
  const depth = 1 + Math.floor(random() * 4);
  for (let i = 0; i < depth; i++)
    p += '/' + pick(words) + (random() < 0.3 ? `-${Math.floor(random() * 10000)}` : '');
  if (random() < 0.2) p += '.html';
  return p;
}

function query(): string {
  const r = random();
  if (r < 0.5) return '';
  if (r < 0.7) return `?page=${Math.floor(random() * 50)}`;
  if (r < 0.85) return `?utm_source=newsletter&utm_medium=email&id=${Math.floor(random() * 1e6)}`;
  return `?q=${pick(words)}+${pick(words)}&sort=desc&lang=en`;
}

function link(): string {
  const r = random();
  const fragment = random() < 0.15 ? '#section-2' : '';
  if (r < 0.45) return `https://${pick(hosts)}${path()}${query()}${fragment}`;
  if (r < 0.55) return `HTTP://${pick(hosts).toUpperCase()}:80${path()}/./x/../y${query()}`;
  if (r < 0.65) return `https://${pick(hosts)}/%7euser/a%2fb/%e2%82%ac${query()}`;
  if (r < 0.9) return `${path()}${query()}${fragment}`;
  return `../${pick(words)}/${pick(words)}${query()}`;
}

const base = 'https://www.example.com/articles/2024/index.html';
const links = Array.from({ length: LINKS }, link);
const badHrefs = [
  'javascript:void(0)',
  'mailto:press@example.com',
  'tel:+4930123',
  'http://exa mple.com/',
  '#top',
];
const mixedLinks = links.map((href, i) => (i % 10 === 0 ? pick(badHrefs) : href));
const withBase: NormalizeOptions = { base };
const cleaning: NormalizeOptions = { base, sortQuery: true, stripParams: TRACKING_PARAMS };
const normalized = links.map((href) => normalizeUrl(href, withBase));
const keys = normalized.map((url) => hostKey(url));

let sink: unknown;

function measure(name: string, inputs: readonly string[], fn: (input: string) => unknown): void {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let operations = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (const input of inputs) sink = fn(input);
      operations += inputs.length;
      elapsed = performance.now() - start;
    } while (elapsed < ROUND_MS);
    rates.push((operations / elapsed) * 1000);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`${name.padEnd(48)} ${Math.round(median).toLocaleString('en-US').padStart(12)} ops/s`);
}

console.log(`node ${process.version}, ${links.length} links, median of ${ROUNDS} rounds of ${ROUND_MS} ms`);
measure('normalizeUrl (relative + absolute, base)', links, (href) => normalizeUrl(href, withBase));
measure('normalizeUrl (already normalised)', normalized, (url) => normalizeUrl(url));
measure('normalizeUrl (sortQuery + strip tracking)', links, (href) => normalizeUrl(href, cleaning));
measure('tryNormalizeUrl (10% bad hrefs)', mixedLinks, (href) => tryNormalizeUrl(href, withBase));
measure('fingerprint', normalized, fingerprint);
measure("hostKey 'hostname' (normalised string)", normalized, (url) => hostKey(url));
measure("hostKey 'domain' (normalised string)", normalized, (url) => hostKey(url, 'domain'));
measure('partitionForKey (host key, 64 partitions)', keys, (key) => partitionForKey(key, 64));
measure('whole link: normalize+fingerprint+key+partition', links, (href) => {
  const url = normalizeUrl(href, withBase);
  return partitionForKey(hostKey(url), 64) + fingerprint(url).length;
});
if (sink === undefined) console.log('');
