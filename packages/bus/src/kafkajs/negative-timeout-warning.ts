import { sep } from 'node:path';

const kafkajsFrame = `${sep}kafkajs${sep}`;
let installed = false;

/**
 * kafkajs 2.2.4 schedules a throttle check with `throttledUntil - Date.now()` while
 * `throttledUntil` is still 0, and Node 24 reports every negative delay as a
 * `TimeoutNegativeWarning` (once per broker connection). The delay is clamped to 1 ms and
 * harmless; the bug is unfixed upstream (kafkajs issue 1751). This drops that one warning,
 * and only when kafkajs's own code raised it: every other warning, this one from any other
 * code included, is printed as before.
 */
export function dropKafkajsNegativeTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    if (warningType(warning, rest[0]) === 'TimeoutNegativeWarning' && raisedByKafkajs()) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}

function warningType(warning: string | Error, typeOrOptions: unknown): string | undefined {
  if (typeof typeOrOptions === 'string') return typeOrOptions;
  if (typeof typeOrOptions === 'object' && typeOrOptions !== null && 'type' in typeOrOptions) {
    const { type } = typeOrOptions as { type?: unknown };
    if (typeof type === 'string') return type;
  }
  return warning instanceof Error ? warning.name : undefined;
}

function raisedByKafkajs(): boolean {
  return new Error().stack?.includes(kafkajsFrame) === true;
}
