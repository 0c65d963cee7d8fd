import {
  assemblePage,
  DEFAULT_MAX_ANCHOR_TEXT_CHARS,
  DEFAULT_MAX_TITLE_CHARS,
  isRobotsMetaName,
  type RawLink,
  type RawPage,
} from './assemble.ts';
import { TextBuilder } from './text-builder.ts';
import {
  decodeAttributeValue,
  decodeTextRange,
  indexOfName,
  RAW_TEXT_ELEMENTS,
  TokenHandler,
} from './tokenizer.ts';
import type { ExtractedPage, ExtractOptions } from './types.ts';

const NO_OPTIONS: ExtractOptions = {};

// Indices into TAG_NAMES. Tags up to META carry attributes we read.
const A = 0;
const AREA = 1;
const LINK = 2;
const BASE = 3;
const META = 4;
const TITLE = 5;
const TEMPLATE = 6;
const FIRST_RAW_TEXT = 7;
const FIRST_ANCHOR_SCOPE = FIRST_RAW_TEXT + RAW_TEXT_ELEMENTS.length;
const TAG_NAMES: readonly string[] = [
  'a',
  'area',
  'link',
  'base',
  'meta',
  'title',
  'template',
  ...RAW_TEXT_ELEMENTS,
  // End tags of these close an unclosed `<a>` inside them, as the HTML tree builder's scoping does.
  'td',
  'th',
  'caption',
  'table',
  'object',
  'applet',
  'marquee',
  'body',
  'html',
];

// Indices into ATTRIBUTE_NAMES.
const HREF = 0;
const REL = 1;
const HREFLANG = 2;
const NAME = 3;
const CONTENT = 4;
const ALT = 5;
const ATTRIBUTE_NAMES: readonly string[] = ['href', 'rel', 'hreflang', 'name', 'content', 'alt'];

/**
 * Records links, base, title and robots meta from token events, with no element stack: an open
 * anchor is closed by `</a>`, the next `<a>` or a scoping end tag, and `<template>` content (inert
 * markup) is skipped with a depth counter. `<noscript>` content is read as markup: the crawler runs
 * no scripts, so it is what a client like it is shown, and often the only crawlable copy of links.
 */
class LinkHandler extends TokenHandler {
  readonly page: RawPage = { title: undefined, baseHref: undefined, robots: [], links: [] };

  private tag = -1;
  private attribute = -1;
  private attributeValue = '';
  // The attributes of the current start tag, first occurrence wins as in HTML.
  private readonly values: (string | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];

  private templateDepth = 0;
  private inRawText = false;
  private inTitle = false;
  private collectingTitle = false;
  private anchor: RawLink | undefined;
  private readonly anchorText: TextBuilder;
  private readonly titleText: TextBuilder;
  private readonly scratch: TextBuilder;

  /** The crawler's product token, lower-cased: `<meta name>` read as well as `robots`. */
  private readonly robotsName: string | undefined;

  constructor(
    html: string,
    maxAnchorTextChars: number,
    maxTitleChars: number,
    robotsName: string | undefined,
  ) {
    super(html);
    this.robotsName = robotsName;
    this.anchorText = new TextBuilder(maxAnchorTextChars);
    this.scratch = new TextBuilder(maxAnchorTextChars);
    this.titleText = new TextBuilder(maxTitleChars);
  }

  run(): RawPage {
    // Character references are decoded here, in the few attribute values and text runs kept:
    // the tokenizer then skips over the page's text instead of stepping through it.
    this.tokenize(false);
    return this.page;
  }

  override onopentagname(start: number, endIndex: number): void {
    this.tag = indexOfName(this.html, start, endIndex, TAG_NAMES);
    if (this.tag >= A && this.tag <= META) this.values.fill(undefined);
  }

  override onattribname(start: number, endIndex: number): void {
    this.attribute =
      this.tag >= A && this.tag <= META && this.templateDepth === 0
        ? indexOfName(this.html, start, endIndex, ATTRIBUTE_NAMES)
        : -1;
    this.attributeValue = '';
  }

  override onattribdata(start: number, endIndex: number): void {
    if (this.attribute !== -1) this.attributeValue += this.html.slice(start, endIndex);
  }

  override onattribend(): void {
    if (this.attribute !== -1 && this.values[this.attribute] === undefined) {
      this.values[this.attribute] = decodeAttributeValue(this.attributeValue);
    }
    this.attribute = -1;
  }

  override onopentagend(): void {
    const tag = this.tag;
    this.tag = -1;
    if (this.templateDepth > 0) {
      if (tag === TEMPLATE) this.templateDepth++;
      return;
    }
    const values = this.values;
    switch (tag) {
      case A: {
        this.closeAnchor();
        const href = values[HREF];
        if (href === undefined) return;
        this.anchor = { tag: 'a', href, rel: values[REL], hreflang: values[HREFLANG], text: '' };
        this.page.links.push(this.anchor);
        return;
      }
      case AREA: {
        const href = values[HREF];
        if (href === undefined) return;
        const alt = values[ALT];
        this.page.links.push({
          tag: 'area',
          href,
          rel: values[REL],
          hreflang: values[HREFLANG],
          text: alt === undefined ? '' : this.collapse(alt),
        });
        return;
      }
      case LINK: {
        const href = values[HREF];
        if (href === undefined || values[REL] === undefined) return;
        this.page.links.push({ tag: 'link', href, rel: values[REL], hreflang: values[HREFLANG], text: '' });
        return;
      }
      case BASE:
        if (this.page.baseHref === undefined && values[HREF] !== undefined) this.page.baseHref = values[HREF];
        return;
      case META: {
        const name = values[NAME];
        const content = values[CONTENT];
        if (name !== undefined && content !== undefined && isRobotsMetaName(name, this.robotsName)) {
          this.page.robots.push(content);
        }
        return;
      }
      case TITLE:
        this.inTitle = true;
        this.collectingTitle = this.page.title === undefined;
        return;
      case TEMPLATE:
        this.templateDepth = 1;
        return;
      default:
        if (tag >= FIRST_RAW_TEXT && tag < FIRST_ANCHOR_SCOPE) this.inRawText = true;
    }
  }

  override onclosetag(start: number, endIndex: number): void {
    const tag = indexOfName(this.html, start, endIndex, TAG_NAMES);
    if (this.templateDepth > 0) {
      if (tag === TEMPLATE) this.templateDepth--;
      return;
    }
    if (tag === A || tag >= FIRST_ANCHOR_SCOPE) this.closeAnchor();
    else if (tag === TITLE) this.closeTitle();
    else if (tag >= FIRST_RAW_TEXT) this.inRawText = false;
  }

  override ontext(start: number, endIndex: number): void {
    if (this.templateDepth > 0 || this.inRawText) return;
    if (this.inTitle) {
      if (this.collectingTitle) this.appendText(this.titleText, start, endIndex);
    } else if (this.anchor !== undefined) {
      this.appendText(this.anchorText, start, endIndex);
    }
  }

  private appendText(builder: TextBuilder, start: number, endIndex: number): void {
    if (builder.full) return;
    const decoded = decodeTextRange(this.html, start, endIndex);
    if (decoded === undefined) builder.append(this.html, start, endIndex);
    else builder.append(decoded);
  }

  override onend(): void {
    this.closeAnchor();
    this.closeTitle();
  }

  private closeAnchor(): void {
    if (this.anchor === undefined) return;
    this.anchor.text = this.anchorText.toString();
    this.anchor = undefined;
    this.anchorText.reset();
  }

  private closeTitle(): void {
    if (this.collectingTitle) this.page.title = this.titleText.toString();
    this.inTitle = false;
    this.collectingTitle = false;
  }

  private collapse(value: string): string {
    this.scratch.reset();
    this.scratch.append(value);
    return this.scratch.toString();
  }
}

/**
 * Extracts the links of an HTML page in one streaming pass over htmlparser2's tokenizer, without
 * building a DOM: `<a href>`, `<area href>` and `<link rel=canonical|next|prev>` plus
 * `<link rel=alternate hreflang>`, resolved against the page or its `<base href>`, normalised,
 * de-duplicated and capped. Linear in the size of the page, whatever its nesting.
 *
 * @throws the `@kraul/url` errors when `pageUrl` is not an absolute http(s) URL.
 */
export function extractLinks(
  html: string,
  pageUrl: string,
  options: ExtractOptions = NO_OPTIONS,
): ExtractedPage {
  const handler = new LinkHandler(
    html,
    options.maxAnchorTextChars ?? DEFAULT_MAX_ANCHOR_TEXT_CHARS,
    options.maxTitleChars ?? DEFAULT_MAX_TITLE_CHARS,
    options.robotsToken?.trim().toLowerCase(),
  );
  return assemblePage(handler.run(), pageUrl, options);
}
