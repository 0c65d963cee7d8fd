/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to a mistyped one, if close enough to be a likely typo. A typo
 * may also drop a leading group (`CONCURENCY` for `CRAWLER_CONCURRENCY`), so each known
 * name is also compared by its trailing segments, at the cost of one extra edit.
 * `prefix` is ignored on both sides; `separator` splits names into segments.
 */
export function closestName(
  unknown: string,
  known: readonly string[],
  { prefix = '', separator = '_' }: { prefix?: string; separator?: string } = {},
): string | undefined {
  const wanted = unknown.slice(prefix.length);
  const tolerance = Math.max(2, Math.floor(wanted.length / 4));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const parts = name.slice(prefix.length).split(separator);
    for (let start = 0; start < parts.length; start++) {
      const distance = editDistance(wanted, parts.slice(start).join(separator)) + (start === 0 ? 0 : 1);
      if (distance <= tolerance && (!best || distance < best.distance)) best = { name, distance };
    }
  }
  return best?.name;
}
