import type { Writable } from 'node:stream';

/**
 * Writes text and resolves once the stream has taken it, waiting for 'drain' when its
 * buffer is full: an export of millions of pages into a slow pipe stays within memory.
 */
export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = stream.write(text, (error) => {
      if (error) reject(error);
    });
    if (ready) resolve();
    else stream.once('drain', resolve);
  });
}

/** Resolves once everything written so far has been handed to the operating system. */
export function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `1 URL`, `2 URLs`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** An instant as `2026-05-01 12:30:05Z`: sortable, unambiguous, short. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}
