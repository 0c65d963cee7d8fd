import { TextBuilder } from './text-builder.ts';
import { indexOfName, RAW_TEXT_ELEMENTS, TokenHandler } from './tokenizer.ts';
import type { ExtractTextOptions } from './types.ts';

export const DEFAULT_MAX_TEXT_CHARS = 100_000;

// Markup whose content is not shown: inert templates, and fallbacks for clients without
// scripts or plugins (mostly "please enable JavaScript" boilerplate).
const HIDDEN = ['noscript', 'template', 'noembed'];
// Elements that start on a new line.
const LINE_BREAKS = [
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'caption',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'legend',
  'li',
  'main',
  'nav',
  'ol',
  'option',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tr',
  'ul',
];
// Table cells, separated by a space.
const CELLS = ['td', 'th'];
// Text that is never shown, though the tokenizer hands it over as text.
const RAW_TEXT = [...RAW_TEXT_ELEMENTS, 'title'];

// One list, classified by index range: [hidden | line breaks | cells | raw text].
const TAG_NAMES: readonly string[] = [...HIDDEN, ...LINE_BREAKS, ...CELLS, ...RAW_TEXT];
const FIRST_LINE_BREAK = HIDDEN.length;
const FIRST_CELL = FIRST_LINE_BREAK + LINE_BREAKS.length;
const FIRST_RAW_TEXT = FIRST_CELL + CELLS.length;

/**
 * Collects visible text from token events: hidden containers are skipped with a depth counter
 * (their end tags balance their start tags, as the tokenizer reports them), raw-text elements
 * with a flag, and block elements become line breaks. Stops the tokenizer once the cap is hit.
 */
class TextHandler extends TokenHandler {
  private readonly text: TextBuilder;
  private hiddenDepth = 0;
  private inRawText = false;
  private tag = -1;

  constructor(html: string, maxChars: number) {
    super(html);
    this.text = new TextBuilder(maxChars);
  }

  run(): string {
    this.tokenize();
    return this.text.toString();
  }

  override onopentagname(start: number, endIndex: number): void {
    this.tag = indexOfName(this.html, start, endIndex, TAG_NAMES);
  }

  override onopentagend(): void {
    const tag = this.tag;
    this.tag = -1;
    if (tag === -1) return;
    if (tag >= FIRST_RAW_TEXT) this.inRawText = true;
    else if (tag < FIRST_LINE_BREAK) this.hiddenDepth++;
    else this.separate(tag);
  }

  override onclosetag(start: number, endIndex: number): void {
    const tag = indexOfName(this.html, start, endIndex, TAG_NAMES);
    if (tag === -1) return;
    if (tag >= FIRST_RAW_TEXT) this.inRawText = false;
    else if (tag < FIRST_LINE_BREAK) {
      if (this.hiddenDepth > 0) this.hiddenDepth--;
    } else this.separate(tag);
  }

  override ontext(start: number, endIndex: number): void {
    if (this.hiddenDepth > 0 || this.inRawText) return;
    this.text.append(this.html, start, endIndex);
    this.stopWhenFull();
  }

  override ontextentity(codepoint: number): void {
    if (this.hiddenDepth > 0 || this.inRawText) return;
    this.text.appendCodePoint(codepoint);
    this.stopWhenFull();
  }

  private separate(tag: number): void {
    if (this.hiddenDepth > 0) return;
    if (tag >= FIRST_CELL) this.text.space();
    else this.text.lineBreak();
  }

  private stopWhenFull(): void {
    if (this.text.full) this.tokenizer!.pause();
  }
}

/**
 * The visible text of an HTML page, for page documents: without scripts, styles, templates,
 * `<noscript>` fallbacks and the title; whitespace collapsed (also inside `<pre>`), one line per
 * block element, table cells separated by spaces; at most `maxChars` characters.
 */
export function extractText(html: string, options: ExtractTextOptions = {}): string {
  return new TextHandler(html, options.maxChars ?? DEFAULT_MAX_TEXT_CHARS).run();
}
