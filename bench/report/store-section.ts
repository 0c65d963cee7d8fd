import { commandOf, runNodeScript } from './child-script.ts';
import { decimal, integer, table } from './format.ts';
import { median } from './stats.ts';

const STORE_SCRIPT = 'packages/store/bench/store.bench.ts';

/** One figure the store benchmark prints, found by the start of its line. */
interface StoreFigure {
  label: string;
  /** Matches the line; the first group is the number. */
  pattern: RegExp;
  unit: string;
  digits: number;
}

const FIGURES: readonly StoreFigure[] = [
  {
    label: 'add, new URLs (transactions of 1,000)',
    pattern: /^\s*add \(new.*?([\d,]+)\/s/m,
    unit: 'URLs/s',
    digits: 0,
  },
  {
    label: 'add, known URLs + hostTotal + jobTotal',
    pattern: /^\s*add \(known\).*?([\d,]+)\/s/m,
    unit: 'URLs/s',
    digits: 0,
  },
  {
    label: 'leaseDue (limit 500, perHost 5)',
    pattern: /^\s*leaseDue.*?([\d,]+)\/s/m,
    unit: 'URLs/s',
    digits: 0,
  },
  {
    label: 'leaseDue, time per call',
    pattern: /^\s*leaseDue.*?([\d.]+) ms per call/m,
    unit: 'ms',
    digits: 1,
  },
  {
    label: 'markDone (transactions of 1,000)',
    pattern: /^\s*markDone.*?([\d,]+)\/s/m,
    unit: 'URLs/s',
    digits: 0,
  },
  { label: 'database file per URL', pattern: /^\s*file:.*?(\d+) bytes per URL/m, unit: 'bytes', digits: 0 },
  { label: 'reopen', pattern: /^\s*reopen: (\d+) ms/m, unit: 'ms', digits: 0 },
];

/** A store benchmark whose output no longer has a figure the report reads. */
export class StoreOutputError extends Error {
  constructor(figure: string, output: string) {
    super(`${commandOf(STORE_SCRIPT)}: no "${figure}" figure in its output:\n${output}`);
    this.name = 'StoreOutputError';
  }
}

function read(output: string): number[] {
  return FIGURES.map((figure) => {
    const match = figure.pattern.exec(output);
    if (!match) throw new StoreOutputError(figure.label, output);
    return Number(match[1]!.replaceAll(',', ''));
  });
}

/** Runs the sqlite frontier store benchmark `rounds` times at `urls` URLs and tabulates the medians. */
export async function benchStore(
  urls: number,
  rounds: number,
  progress: (line: string) => void,
): Promise<string> {
  const args = [String(urls)];
  const runs: number[][] = [];
  let firstLine = '';
  for (let round = 0; round < rounds; round++) {
    progress(`store round ${round + 1}/${rounds}: ${commandOf(STORE_SCRIPT, args)}`);
    const output = await runNodeScript(STORE_SCRIPT, args);
    firstLine = output.split('\n')[0]!.trim();
    runs.push(read(output));
  }
  const rows = FIGURES.map((figure, index) => {
    const values = runs.map((run) => run[index]!);
    const shown = (value: number) => (figure.digits === 0 ? integer(value) : decimal(value, figure.digits));
    return [figure.label, shown(median(values)), figure.unit, values.map(shown).join(', ')];
  });
  return [
    '## Frontier store (sqlite shard)',
    '',
    `Command: \`${commandOf(STORE_SCRIPT, args)}\`, run ${rounds === 1 ? 'once' : `${rounds} times; median of the runs`}. ` +
      `${firstLine}, each run in a fresh database file (WAL), one shard.`,
    '',
    table(['operation', 'median', 'unit', 'each run'], ['l', 'r', 'l', 'r'], rows),
  ].join('\n');
}
