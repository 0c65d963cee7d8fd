import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { type DestinationStream, destination as fdDestination, type Logger, pino } from 'pino';
import { serializeError } from './error-serializer.ts';

export type { Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  /** Component name, written as `name` on every line (e.g. `crawler`, `frontier`). */
  name: string;
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /**
   * `json`: one JSON object per line. `pretty`: human-readable lines. `auto` (default):
   * pretty when the destination is a terminal, JSON otherwise (files, pipes, log shippers).
   */
  format?: LogFormat;
  /** Where lines go: a writable stream or a file descriptor. Default fd 2 (stderr). */
  destination?: NodeJS.WritableStream | number;
}

/**
 * A pino logger writing synchronously: a crawler that exits on a fatal error must not
 * lose the line that explains why, so no worker-thread transport and no async buffer.
 */
export function createLogger(options: LoggerOptions): Logger {
  const target = options.destination ?? 2;
  const pretty = resolveFormat(options.format ?? 'auto', target) === 'pretty';
  const sink = toDestination(target);
  return pino(
    { name: options.name, level: options.level ?? 'info', serializers: { err: serializeError } },
    pretty ? prettyDestination(sink, isTerminal(target)) : sink,
  );
}

function resolveFormat(format: LogFormat, target: NodeJS.WritableStream | number): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isTerminal(target) ? 'pretty' : 'json';
}

function isTerminal(target: NodeJS.WritableStream | number): boolean {
  if (typeof target === 'number') return isatty(target);
  return (target as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
}

function toDestination(target: NodeJS.WritableStream | number): DestinationStream {
  if (typeof target === 'number') return fdDestination({ dest: target, sync: true });
  return target as DestinationStream;
}

/**
 * pino-pretty's formatting function in front of the sink, called inline on each line.
 * (pino-pretty's default export is a stream pipeline that formats on a later tick, so
 * lines written just before `process.exit` could be lost.)
 */
function prettyDestination(sink: DestinationStream, colorize: boolean): DestinationStream {
  // Loaded only for pretty output: services logging JSON do not pay for it at start.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    errorProps: 'code,context',
  });
  return {
    write(line: string) {
      sink.write(format(line));
    },
  };
}
