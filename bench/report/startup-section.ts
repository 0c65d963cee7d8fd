import { commandOf, runNodeScript } from './child-script.ts';

const STARTUP_SCRIPT = 'bench/startup.ts';

/** `./kraul --version` and each role until it is ready, measured by bench/startup.ts. */
export async function benchStartup(runs: number, progress: (line: string) => void): Promise<string> {
  const args = ['--runs', String(runs)];
  progress(`start-up: ${commandOf(STARTUP_SCRIPT, args)}`);
  const table = (await runNodeScript(STARTUP_SCRIPT, args)).trim();
  return [
    '## Start-up',
    '',
    `Command: \`${commandOf(STARTUP_SCRIPT, args)}\`: wall time from start to exit (\`--version\`) or ` +
      'until `/readyz` answers 200 (a role joined its groups on the test broker), and the CPU time ' +
      `spent until then; medians of ${runs} runs. Targets: \`--version\` ≤ 0.3 s, a role ready ≤ 1.5 s. ` +
      'On a loaded machine wall time follows the load; CPU time is the steadier figure.',
    '',
    table,
  ].join('\n');
}
