import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPython } from '@kraul/testkit';

const reader = fileURLToPath(new URL('../../../../packages/testkit/python/read_warc.py', import.meta.url));

/** A WARC record as Python's warcio read it (packages/testkit/python/read_warc.py). */
export interface WarcRecordLine {
  file: string;
  warcVersion: string;
  type: string;
  uri: string | null;
  id: string;
  concurrentTo: string | null;
  payloadDigest: string | null;
  computedDigest: string;
  status?: string;
  fields?: string[];
}

/** The finished WARC files of a folder (none left open), read with Python's warcio. */
export async function readWarcDir(dir: string): Promise<{ files: string[]; records: WarcRecordLine[] }> {
  const names = (await readdir(dir)).sort();
  const open = names.filter((name) => name.endsWith('.open'));
  if (open.length > 0) throw new Error(`WARC files left open in ${dir}: ${open.join(', ')}`);
  const files = names.filter((name) => name.endsWith('.warc.gz')).map((name) => join(dir, name));
  const out = files.length === 0 ? '' : await runPython(reader, files, { timeoutMs: 300_000 });
  const records = out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WarcRecordLine);
  return { files, records };
}
