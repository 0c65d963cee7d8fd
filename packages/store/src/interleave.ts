/**
 * Round-robin over lanes: the first item of every lane, then the second of every lane, ...
 * A leased batch read in order then alternates hosts instead of bunching one host's URLs.
 */
export function interleave<T>(lanes: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = lanes.reduce((most, lane) => Math.max(most, lane.length), 0);
  for (let i = 0; i < longest; i++) {
    for (const lane of lanes) {
      if (i < lane.length) out.push(lane[i]!);
    }
  }
  return out;
}
