/** `850ms`, `12.3s`, `5m 03s`, `2h 05m`, `3d 04h`; `--` when unknown (NaN, Infinity). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--';
  const t = Math.max(0, ms);
  if (t < 1000) return `${Math.round(t)}ms`;
  if (t < 60_000) return `${(t / 1000).toFixed(1)}s`;
  const totalSeconds = Math.floor(t / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m ${pad2(totalSeconds % 60)}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 24 * 60) return `${Math.floor(totalMinutes / 60)}h ${pad2(totalMinutes % 60)}m`;
  const totalHours = Math.floor(totalMinutes / 60);
  return `${Math.floor(totalHours / 24)}d ${pad2(totalHours % 24)}h`;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units: `512 B`, `1.5 KiB`, `10.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '--';
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 'B';
  for (const next of BYTE_UNITS) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * A per-second rate with precision that suits its size: `0.25/s`, `12.3 pages/s`,
 * `480 pages/s`. `unit` names what is counted; default none.
 */
export function formatRate(perSecond: number, unit = ''): string {
  const suffix = unit ? ` ${unit}/s` : '/s';
  if (!Number.isFinite(perSecond)) return `--${suffix}`;
  const digits = Math.abs(perSecond) >= 100 ? 0 : Math.abs(perSecond) >= 10 ? 1 : 2;
  return perSecond.toFixed(digits) + suffix;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
