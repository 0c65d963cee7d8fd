import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliUsageError } from '../errors.ts';
import { describeCommand } from '../program-help.ts';

/** This kraul's framework package: what a new project's `@kraul/framework` links to. */
const FRAMEWORK_DIR = fileURLToPath(new URL('../../../../packages/framework', import.meta.url));

function files(name: string): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        private: true,
        type: 'module',
        scripts: { test: 'node --test crawl.test.ts', crawl: 'kraul run ./crawl.ts --out items.jsonl' },
      },
      null,
      2,
    )}\n`,
    'crawl.ts': `import { defineCrawl, z } from '@kraul/framework';

/** What each item is: items that do not match are counted and dead-lettered, not published. */
const article = z.object({
  url: z.string().url(),
  title: z.string().min(1),
  summary: z.string(),
});

/**
 * ${name}: the listing page links to articles; each article becomes an item. Change the
 * seed, the selectors and the schema to your site's.
 */
export default defineCrawl({
  name: '${name}',
  seeds: [{ url: process.env['CRAWL_SEED'] ?? 'https://example.com/', label: 'listing' }],
  scope: { mode: 'host' },
  politeness: { delayMs: 1_000 },
  limits: { maxPages: 1_000, handlerTimeoutMs: 30_000 },
  item: article,
  handlers: {
    listing: ({ $, enqueue }) => {
      enqueue($('a.article').map((_, a) => $(a).attr('href')).get(), { label: 'article' });
      const next = $('a[rel=next]').attr('href');
      if (next) enqueue(next, { label: 'listing' });
    },
    article: ({ $, url, push }) => {
      push({ url, title: $('h1').first().text().trim(), summary: $('p').first().text().trim() });
    },
  },
});
`,
    'crawl.test.ts': `import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { testPage } from '@kraul/framework';
import crawl from './crawl.ts';

const fixture = (name: string) => readFile(new URL(\`./fixtures/\${name}\`, import.meta.url), 'utf8');

test('the listing handler enqueues every article and the next listing page', async () => {
  const page = await testPage(crawl, { url: 'https://example.com/', label: 'listing', html: await fixture('listing.html') });
  assert.deepEqual(page.enqueued, [
    { url: 'https://example.com/articles/first', label: 'article', userData: {} },
    { url: 'https://example.com/articles/second', label: 'article', userData: {} },
    { url: 'https://example.com/?page=2', label: 'listing', userData: {} },
  ]);
});

test('the article handler pushes one valid item', async () => {
  const url = 'https://example.com/articles/first';
  const page = await testPage(crawl, { url, label: 'article', html: await fixture('article.html') });
  assert.deepEqual(page.invalidItems, []);
  assert.deepEqual(page.items, [{ url, title: 'The first article', summary: 'What it is about.' }]);
});
`,
    'fixtures/listing.html': `<!doctype html>
<title>Articles</title>
<ul>
  <li><a class="article" href="/articles/first">The first article</a></li>
  <li><a class="article" href="/articles/second">The second article</a></li>
</ul>
<a href="/about">About</a> <a rel="next" href="?page=2">Next</a>
`,
    'fixtures/article.html': `<!doctype html>
<title>The first article</title>
<h1>The first article</h1>
<p>What it is about.</p>
<p>More of it.</p>
`,
    'docker-compose.override.yml': `# Next to kraul's docker-compose.yml (copy or -f it): the crawlers see this project at
# /app/crawls/${name}, where @kraul/framework resolves from the image. Then:
#   kraul job create ./crawl.ts --module-as /app/crawls/${name}/crawl.ts
services:
  crawler:
    volumes:
      - ./:/app/crawls/${name}:ro
`,
    'README.md': `# ${name}

A kraul crawl module. \`npm test\` tries its handlers on the pages in \`fixtures/\`;
\`kraul run ./crawl.ts --out items.jsonl\` crawls (set \`CRAWL_SEED\` or edit the seed);
\`kraul job create ./crawl.ts\` runs it on a cluster (see docker-compose.override.yml).
`,
  };
}

/** `kraul init <dir>`: a ready crawl project in a new (or empty) folder. */
async function init(target: string): Promise<void> {
  const dir = resolve(target);
  const name = basename(dir)
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  if (name === '')
    throw new CliUsageError(
      'cli.invalid_argument',
      `<dir>=${target}: the folder's name must contain a letter or digit`,
      {},
    );
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new CliUsageError(
      'cli.folder_not_empty',
      `${target} is not empty: kraul init writes into a new or empty folder`,
      {
        path: dir,
      },
    );
  for (const [file, content] of Object.entries(files(name))) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content, { flag: 'wx' });
  }
  // The project uses this kraul's framework as it is (a link, no registry): Node follows it
  // to the real path, where the framework's TypeScript and its dependencies are.
  mkdirSync(join(dir, 'node_modules', '@kraul'), { recursive: true });
  symlinkSync(FRAMEWORK_DIR, join(dir, 'node_modules', '@kraul', 'framework'), 'dir');
  process.stdout.write(
    `created ${target}: crawl.ts, crawl.test.ts, fixtures/, docker-compose.override.yml\n` +
      `  cd ${target} && npm test   (its handlers on the fixture pages)\n` +
      '  kraul run ./crawl.ts --out items.jsonl   (a crawl on this machine)\n',
  );
}

export function registerInit(program: Command): void {
  const command = program
    .command('init')
    .description(
      'write a ready crawl project: a crawl module, a test against fixture pages, a compose override',
    )
    .argument('<dir>', "the new (or empty) folder; its name is the crawl's name")
    .action((dir: string) => init(dir));
  describeCommand(command, {
    examples: ['kraul init my-crawl'],
    notes: [
      "The project links this kraul's @kraul/framework; its test runs with Node's own runner (npm test).",
    ],
  });
}
