import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { type OutcomeReason, REASON_LABELS } from '@kraul/protocol';
import { DataDirError, type EndedUrl, endedUrlsIn, type ReasonCounts } from '@kraul/store';
import { CliUsageError } from './errors.ts';
import { flushed, write } from './output.ts';

/** `timeout 3, HTTP 5xx 2`: the reasons of one end state, most frequent first. */
export function formatReasons(counts: Partial<Record<OutcomeReason, number>>): string {
  return (Object.entries(counts) as [OutcomeReason, number][])
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, count]) => `${REASON_LABELS[reason]} ${count}`)
    .join(', ');
}

/** The summary lines of failed and dropped URLs by reason, each indented; none when there are none. */
export function reasonLines(counts: ReasonCounts, indent = '  '): string[] {
  const lines: string[] = [];
  for (const state of ['failed', 'dropped'] as const) {
    const text = formatReasons(counts[state]);
    if (text !== '') lines.push(`${indent}${state}: ${text}`);
  }
  return lines;
}

/** One line of a failures file: what `--failures` documents, in a stable field order. */
export function failureLine(url: EndedUrl): string {
  return `${JSON.stringify({
    job: url.job,
    url: url.url,
    state: url.state,
    reason: url.reason,
    ...(url.message === undefined ? {} : { message: url.message }),
    attempts: url.attempts,
    ...(url.status === undefined ? {} : { status: url.status }),
    depth: url.depth,
  })}\n`;
}

/** Opens (creating or emptying) a failures file, so a bad path fails before the crawl, not after it. */
export function openFailuresFile(file: string, flag: string): WriteStream {
  try {
    return createWriteStream(file, { fd: openSync(file, 'w') });
  } catch (error) {
    throw new CliUsageError(
      'cli.failures_unwritable',
      `${flag}=${file}: cannot write there: ${(error as Error).message}`,
      { path: file },
      { cause: error },
    );
  }
}

/**
 * Writes every failed and dropped URL of a kraul state folder of `prefix` (of one job, or
 * all) as JSON lines, waiting for the stream to drain; returns how many. A folder that is
 * not kraul state of the prefix is a usage error.
 */
export async function writeFailures(
  out: Writable,
  dataDir: string,
  prefix: string,
  job?: string,
): Promise<number> {
  let written = 0;
  try {
    for (const url of endedUrlsIn(dataDir, { prefix }, job)) {
      await write(out, failureLine(url));
      written += 1;
    }
  } catch (error) {
    if (!(error instanceof DataDirError)) throw error;
    throw new CliUsageError(error.code, error.message, error.context, { cause: error });
  }
  await flushed(out);
  return written;
}
