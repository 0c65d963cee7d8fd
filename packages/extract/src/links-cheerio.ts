import type { AnyNode, Element } from 'domhandler';
import {
  assemblePage,
  DEFAULT_MAX_ANCHOR_TEXT_CHARS,
  DEFAULT_MAX_TITLE_CHARS,
  isRobotsMetaName,
  type RawLink,
  type RawPage,
} from './assemble.ts';
import { loadDocument } from './document.ts';
import { TextBuilder } from './text-builder.ts';
import { RAW_TEXT_ELEMENTS } from './tokenizer.ts';
import type { ExtractedPage, ExtractOptions, LinkTag } from './types.ts';

const NO_OPTIONS: ExtractOptions = {};
const NOT_TEXT = new Set([...RAW_TEXT_ELEMENTS, 'template']);

/** Template content is inert markup: not part of the page's links, title or text. */
function insideTemplate(element: Element): boolean {
  for (let node = element.parent; node !== null; node = node.parent) {
    if ('name' in node && node.name === 'template') return true;
  }
  return false;
}

/** Text content without script-like elements, collapsed and capped; iterative, whatever the depth. */
function collapsedText(element: Element, builder: TextBuilder): string {
  builder.reset();
  const pending: AnyNode[] = [];
  for (let index = element.children.length - 1; index >= 0; index--) pending.push(element.children[index]!);
  while (pending.length > 0 && !builder.full) {
    const node = pending.pop()!;
    if (node.type === 'text') builder.append(node.data);
    else if ('children' in node && !('name' in node && NOT_TEXT.has(node.name))) {
      for (let index = node.children.length - 1; index >= 0; index--) pending.push(node.children[index]!);
    }
  }
  return builder.toString();
}

function collapse(value: string, builder: TextBuilder): string {
  builder.reset();
  builder.append(value);
  return builder.toString();
}

/**
 * `extractLinks` over a cheerio (parse5) DOM: the same result for well-formed pages, at the cost
 * of building the tree. Kept to measure the streaming extractor against, and to check both agree.
 *
 * @throws the `@kraul/url` errors when `pageUrl` is not an absolute http(s) URL.
 */
export function extractLinksWithCheerio(
  html: string,
  pageUrl: string,
  options: ExtractOptions = NO_OPTIONS,
): ExtractedPage {
  const $ = loadDocument(html);
  const anchorText = new TextBuilder(options.maxAnchorTextChars ?? DEFAULT_MAX_ANCHOR_TEXT_CHARS);
  const page: RawPage = { title: undefined, baseHref: undefined, robots: [], links: [] };

  const base = $('base[href]')
    .toArray()
    .find((element) => !insideTemplate(element));
  page.baseHref = base?.attribs['href'];

  const title = $('title')
    .toArray()
    .find((element) => !insideTemplate(element));
  if (title !== undefined) {
    page.title = collapsedText(title, new TextBuilder(options.maxTitleChars ?? DEFAULT_MAX_TITLE_CHARS));
  }

  const robotsName = options.robotsToken?.trim().toLowerCase();
  for (const meta of $('meta[name][content]').toArray()) {
    if (!insideTemplate(meta) && isRobotsMetaName(meta.attribs['name']!, robotsName)) {
      page.robots.push(meta.attribs['content']!);
    }
  }

  for (const element of $('a[href], area[href], link[href][rel]').toArray()) {
    if (insideTemplate(element)) continue;
    const attributes = element.attribs;
    const tag = element.name as LinkTag;
    const alt = attributes['alt'];
    let text = '';
    if (tag === 'a') text = collapsedText(element, anchorText);
    else if (tag === 'area' && alt !== undefined) text = collapse(alt, anchorText);
    const link: RawLink = {
      tag,
      href: attributes['href']!,
      rel: attributes['rel'],
      hreflang: attributes['hreflang'],
      text,
    };
    page.links.push(link);
  }

  return assemblePage(page, pageUrl, options);
}
