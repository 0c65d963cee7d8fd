const NONE = 0;
const SPACE = 1;
const NEWLINE = 2;

/**
 * Whitespace as `\s` sees it (ASCII whitespace, no-break and the Unicode spaces), tested by
 * code unit so text is collapsed without regular expressions or intermediate strings.
 */
export function isCollapsibleSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Accumulates text in pieces, collapsing each whitespace run into one separator (a space, or a
 * line break when one was asked for), with no separator at either end, and stops at `maxChars`.
 * Work per piece is bounded by the cap, so a megabyte of text inside one link costs one scan.
 */
export class TextBuilder {
  private text = '';
  private pending = NONE;
  private readonly maxChars: number;
  /** The cap is reached; further input is ignored. */
  full: boolean;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
    this.full = maxChars <= 0;
  }

  /** Empties the builder for reuse, so one instance serves every link of a page. */
  reset(): void {
    this.text = '';
    this.pending = NONE;
    this.full = this.maxChars <= 0;
  }

  /** Appends `source[start, end)` (the whole string by default) without slicing whitespace. */
  append(source: string, start = 0, end = source.length): void {
    let index = start;
    while (index < end && !this.full) {
      if (isCollapsibleSpace(source.charCodeAt(index))) {
        this.space();
        index++;
        while (index < end && isCollapsibleSpace(source.charCodeAt(index))) index++;
        continue;
      }
      let wordEnd = index + 1;
      while (wordEnd < end && !isCollapsibleSpace(source.charCodeAt(wordEnd))) wordEnd++;
      this.push(source, index, wordEnd);
      index = wordEnd;
    }
  }

  /** Appends one decoded character reference. */
  appendCodePoint(codePoint: number): void {
    if (this.full) return;
    if (isCollapsibleSpace(codePoint)) this.space();
    else {
      const char = String.fromCodePoint(codePoint);
      this.push(char, 0, char.length);
    }
  }

  /** Separates what comes next with at least a space. */
  space(): void {
    if (this.pending === NONE && this.text.length > 0) this.pending = SPACE;
  }

  /** Separates what comes next with a line break. */
  lineBreak(): void {
    if (this.text.length > 0) this.pending = NEWLINE;
  }

  toString(): string {
    return this.text;
  }

  private push(source: string, start: number, end: number): void {
    if (this.pending !== NONE) {
      if (this.text.length + 1 >= this.maxChars) {
        this.full = true;
        return;
      }
      this.text += this.pending === NEWLINE ? '\n' : ' ';
      this.pending = NONE;
    }
    const room = this.maxChars - this.text.length;
    if (end - start < room) {
      this.text += start === 0 && end === source.length ? source : source.slice(start, end);
      return;
    }
    let cut = start + room;
    // Never leave half of a surrogate pair at the end.
    const last = source.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--;
    this.text += source.slice(start, cut);
    this.full = true;
  }
}
