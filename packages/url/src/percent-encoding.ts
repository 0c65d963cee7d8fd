// RFC 3986 section 6.2.2: percent-encoded unreserved characters are equivalent to the
// characters themselves, and hex digits are case-insensitive. Everything else stays as is:
// decoding a reserved character (%2F, %3F, %26, ...) would change what the URL means.

const UPPER_HEX = '0123456789ABCDEF';

/** Value of an ASCII hex digit by char code, -1 otherwise. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/** A-Z a-z 0-9 - . _ ~ */
const UNRESERVED = new Uint8Array(128);
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (const c of '-._~') UNRESERVED[c.charCodeAt(0)] = 1;

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUE[code]! : -1;
}

function isLowerHexLetter(code: number): boolean {
  return code >= 0x61 && code <= 0x66;
}

/**
 * Decodes percent-encoded unreserved characters and upper-cases the hex digits of the
 * remaining escapes. A `%` not followed by two hex digits is left alone. Returns the input
 * itself (no allocation) when there is nothing to change, which is the common case.
 */
export function normalizePercentEncoding(text: string): string {
  let index = text.indexOf('%');
  if (index === -1) return text;
  let out = '';
  let copiedUpTo = 0;
  const end = text.length - 2;
  while (index !== -1 && index < end) {
    const high = text.charCodeAt(index + 1);
    const low = text.charCodeAt(index + 2);
    const highValue = hexValue(high);
    const lowValue = hexValue(low);
    if (highValue < 0 || lowValue < 0) {
      index = text.indexOf('%', index + 1);
      continue;
    }
    const byte = highValue * 16 + lowValue;
    if (byte < 128 && UNRESERVED[byte] === 1) {
      out += text.slice(copiedUpTo, index) + String.fromCharCode(byte);
      copiedUpTo = index + 3;
    } else if (isLowerHexLetter(high) || isLowerHexLetter(low)) {
      out += text.slice(copiedUpTo, index) + '%' + UPPER_HEX[highValue] + UPPER_HEX[lowValue];
      copiedUpTo = index + 3;
    }
    index = text.indexOf('%', index + 3);
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
