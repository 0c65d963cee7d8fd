import type { ScaleCheckpoint } from '../../packages/frontier/bench/frontier-scale.bench.ts';
import { commandOf, runNodeScript } from './child-script.ts';
import { decimal, integer, mebibytes, table } from './format.ts';

const SCALE_SCRIPT = 'packages/frontier/bench/frontier-scale.bench.ts';

/** The frontier's goals at scale (issue: frontier RSS and disk per known URL). */
const RSS_GOAL_BYTES = 512 * 2 ** 20;
const DISK_GOAL_BYTES_PER_URL = 121;

function parse(output: string): ScaleCheckpoint[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ScaleCheckpoint);
}

/** Grows one frontier shard to each size in `sizes` (one run) and tabulates memory and disk. */
export async function benchFrontierScale(
  sizes: readonly number[],
  progress: (line: string) => void,
): Promise<string> {
  const args = sizes.map(String);
  progress(`frontier at scale: ${commandOf(SCALE_SCRIPT, args)}`);
  const checkpoints = parse(await runNodeScript(SCALE_SCRIPT, args));
  if (checkpoints.length !== sizes.length) {
    throw new Error(
      `${commandOf(SCALE_SCRIPT, args)} reported ${checkpoints.length} of ${sizes.length} sizes`,
    );
  }
  const rows = checkpoints.map((point) => [
    integer(point.urls),
    integer(point.hosts),
    mebibytes(point.rssBytes),
    mebibytes(point.peakRssBytes),
    integer(point.diskBytesPerUrl),
    integer(point.addedPerSecond),
    `${decimal(point.leaseMs, 1)} (${integer(point.leased)} URLs)`,
    decimal(point.markDoneMs, 1),
  ]);
  const largest = checkpoints.at(-1)!;
  const met = (ok: boolean) => (ok ? 'met' : 'not met');
  return [
    '## Frontier at scale',
    '',
    `Command: \`${commandOf(SCALE_SCRIPT, args)}\` (one run). One frontier shard grows through the path the ` +
      'frontier worker takes: schedule decisions applied by `FrontierShard.applyAll`, 500 per poll in one ' +
      'transaction, one in five naming a URL already known, into a sqlite shard file. URLs of about 80 ' +
      'characters on a host per 50 URLs (every tenth on one of three big hosts). At each size: the ' +
      "process's resident memory and its peak so far, the shard's files (database and WAL) per known URL, " +
      'the rate new URLs were added at since the previous size, and one lease of 500 URLs (4 per host) and ' +
      'marking them done, each in one transaction.',
    '',
    table(
      [
        'known URLs',
        'hosts',
        'RSS MiB',
        'peak RSS MiB',
        'disk bytes/URL',
        'URLs added/s',
        'lease ms',
        'mark done ms',
      ],
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows,
    ),
    '',
    `Goals at ${integer(largest.urls)} known URLs: peak RSS at most ${mebibytes(RSS_GOAL_BYTES)} MiB ` +
      `(${met(largest.peakRssBytes <= RSS_GOAL_BYTES)}); at most ${DISK_GOAL_BYTES_PER_URL} bytes on disk per ` +
      `URL, half of the 243 measured before (${met(largest.diskBytesPerUrl <= DISK_GOAL_BYTES_PER_URL)}). ` +
      'A URL row holds the URL without its scheme and host (about 56 bytes here), its 8-byte ' +
      'fingerprint, which the unique index repeats, its score (8 bytes) and a dozen small columns; queued ' +
      'URLs also sit in the per-host ready index (host, score).',
  ].join('\n');
}
