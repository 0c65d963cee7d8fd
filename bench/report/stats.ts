/** The middle value (the lower of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function minimum(values: readonly number[]): number {
  return Math.min(...values);
}

export function maximum(values: readonly number[]): number {
  return Math.max(...values);
}
