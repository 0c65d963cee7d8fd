const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A whole number with thousands separators: 12,345. */
export function integer(value: number): string {
  return grouped.format(Math.round(value));
}

/** A number with a fixed count of decimals and thousands separators: 1,234.56. */
export function decimal(value: number, digits: number): string {
  return new Intl.NumberFormat('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A ratio as `0.07×`. */
export function times(value: number): string {
  return `${decimal(value, value >= 10 ? 1 : 2)}×`;
}

export function mebibytes(bytes: number): string {
  return decimal(bytes / 2 ** 20, 0);
}

/** A markdown table; cells are written as given. */
export function table(
  header: readonly string[],
  align: readonly ('l' | 'r')[],
  rows: readonly string[][],
): string {
  const rule = align.map((side) => (side === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
