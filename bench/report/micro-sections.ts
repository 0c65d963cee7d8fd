import { commandOf, runNodeScript } from './child-script.ts';

interface MicroBench {
  title: string;
  script: string;
  /** The script prints a markdown table (kept as it is) or aligned text (kept in a code block). */
  output: 'markdown' | 'text';
}

const MICRO_BENCHES: readonly MicroBench[] = [
  {
    title: 'Link extraction: htmlparser2 tokenizer against a cheerio DOM',
    script: 'packages/extract/bench/links.bench.ts',
    output: 'markdown',
  },
  {
    title: 'URL hot path: normalise, fingerprint, host key, partition',
    script: 'packages/url/bench/url.bench.ts',
    output: 'text',
  },
];

/** Runs the existing micro-benchmarks one after another; each prints its own table. */
export async function benchMicro(progress: (line: string) => void): Promise<string> {
  const sections: string[] = [];
  for (const bench of MICRO_BENCHES) {
    progress(`micro-benchmark: ${commandOf(bench.script)}`);
    const output = (await runNodeScript(bench.script)).trim();
    sections.push(
      [
        `## ${bench.title}`,
        '',
        `Command: \`${commandOf(bench.script)}\` (its own output, medians of its own rounds).`,
        '',
        bench.output === 'markdown' ? output : ['```', output, '```'].join('\n'),
      ].join('\n'),
    );
  }
  return sections.join('\n\n');
}
