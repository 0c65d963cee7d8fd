import { decodeHTML, decodeHTMLAttribute } from 'entities/decode';
import type { Tokenizer, TokenizerCallbacks } from 'htmlparser2';
import { SkippingTokenizer } from './skipping-tokenizer.ts';

/**
 * True when `html[start, end)` is `lowerName` in any ASCII case. Tag and attribute names are
 * compared in place, so the common case (a name we do not care about) allocates nothing.
 */
export function nameEquals(html: string, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let index = 0; index < lowerName.length; index++) {
    let code = html.charCodeAt(start + index);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lowerName.charCodeAt(index)) return false;
  }
  return true;
}

/**
 * `html[start, end)` as text with its character references decoded the way htmlparser2's
 * tokenizer decodes them in text and RCDATA (legacy references without `;` included), or
 * undefined when the range holds no `&` and can be read as it is.
 */
export function decodeTextRange(html: string, start: number, end: number): string | undefined {
  for (let index = start; index < end; index++) {
    if (html.charCodeAt(index) === 0x26) return decodeHTML(html.slice(start, end));
  }
  return undefined;
}

/** An attribute value as written, with its character references decoded by HTML's attribute rules. */
export function decodeAttributeValue(value: string): string {
  return value.includes('&') ? decodeHTMLAttribute(value) : value;
}

/** Index of `html[start, end)` in `lowerNames` (ASCII case-insensitive), or -1. */
export function indexOfName(html: string, start: number, end: number, lowerNames: readonly string[]): number {
  for (let index = 0; index < lowerNames.length; index++) {
    if (nameEquals(html, start, end, lowerNames[index]!)) return index;
  }
  return -1;
}

/**
 * Elements whose content the tokenizer reads as raw text (script data, not markup): their text
 * is never visible page text, though it arrives through `ontext`. `title` and `textarea` are
 * RCDATA and handled by whoever cares about them.
 */
export const RAW_TEXT_ELEMENTS: readonly string[] = [
  'script',
  'style',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
];

/**
 * Callbacks for htmlparser2's Tokenizer that ignore everything; handlers override what they need.
 *
 * The extractors drive htmlparser2's Tokenizer rather than its Parser: the Parser keeps its
 * open-element stack with `Array#unshift` and searches it on every end tag, which makes deeply
 * nested or never-closed markup quadratic (100,000 nested `<div>` take tens of seconds). The
 * extractors need no element stack, only a few flags and counters, so they stay linear.
 */
export abstract class TokenHandler implements TokenizerCallbacks {
  protected readonly html: string;
  protected tokenizer: Tokenizer | undefined;

  constructor(html: string) {
    this.html = html;
  }

  /**
   * Feeds the whole document through a fresh tokenizer (HTML rules). With `decodeEntities`
   * (the default) text and attribute values arrive in pieces around each character reference
   * (`ontextentity`, `onattribentity`). Without it they arrive as written, and the tokenizer
   * skips over text to the next `<` instead of stepping through it for `&`: a handler that
   * reads little of a page's text decodes those pieces itself (`decodeTextRange`,
   * `decodeAttributeValue`) and the pass costs about a third less.
   */
  protected tokenize(decodeEntities = true): void {
    const tokenizer = new SkippingTokenizer({ decodeEntities }, this);
    this.tokenizer = tokenizer;
    tokenizer.write(this.html);
    tokenizer.end();
  }

  onattribdata(_start: number, _endIndex: number): void {}
  onattribentity(_codepoint: number): void {}
  onattribend(_quote: number, _endIndex: number): void {}
  onattribname(_start: number, _endIndex: number): void {}
  oncdata(_start: number, _endIndex: number, _endOffset: number): void {}
  onclosetag(_start: number, _endIndex: number): void {}
  oncomment(_start: number, _endIndex: number, _endOffset: number): void {}
  ondeclaration(_start: number, _endIndex: number): void {}
  onend(): void {}
  onopentagend(_endIndex: number): void {}
  onopentagname(_start: number, _endIndex: number): void {}
  onprocessinginstruction(_start: number, _endIndex: number): void {}
  /** HTML ignores the self-closing flag on non-void elements: `<a href=x />` opens an `a`. */
  onselfclosingtag(endIndex: number): void {
    this.onopentagend(endIndex);
  }
  ontext(_start: number, _endIndex: number): void {}
  ontextentity(_codepoint: number, _endIndex: number): void {}
}
