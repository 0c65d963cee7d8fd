import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { normalizeUrl } from '@kraul/url';

/** A line of a seed list that held a URL. */
export interface SeedLine {
  line: number;
  /** The URL, normalised. */
  url: string;
}

/** A line that did not hold a usable URL, and why. */
export interface RejectedSeedLine {
  line: number;
  text: string;
  reason: string;
}

export type SeedLineResult = ({ ok: true } & SeedLine) | ({ ok: false } & RejectedSeedLine);

/**
 * Reads one line of a seed list: blank lines and lines starting with `#` are skipped
 * (undefined). A `#` later in a line is part of the URL (a fragment), not a comment.
 */
export function parseSeedLine(text: string, line: number): SeedLineResult | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  try {
    return { ok: true, line, url: normalizeUrl(trimmed) };
  } catch (error) {
    return { ok: false, line, text: trimmed, reason: (error as Error).message };
  }
}

/** Every URL and every rejected line of a whole seed list. */
export function parseSeedText(text: string): { urls: SeedLine[]; rejected: RejectedSeedLine[] } {
  const urls: SeedLine[] = [];
  const rejected: RejectedSeedLine[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const result = parseSeedLine(content, index + 1);
    if (result?.ok) urls.push({ line: result.line, url: result.url });
    else if (result) rejected.push({ line: result.line, text: result.text, reason: result.reason });
  });
  return { urls, rejected };
}

/** Reads a seed list line by line, so a file of millions of URLs is never held whole. */
export async function* readSeedLines(input: Readable): AsyncGenerator<SeedLineResult> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    const result = parseSeedLine(text, line);
    if (result) yield result;
  }
}
