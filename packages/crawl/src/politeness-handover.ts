/**
 * Politeness that moves with a partition. The member that gives a todo partition up (or
 * commits it while it works) stores, in the partition's commit metadata, when each of its
 * hosts may next get a request; the next owner reads it back when the partition is assigned
 * and holds those hosts until then. So a handover never makes a host see two requests closer
 * than its delay (job delay, robots.txt Crawl-delay, Retry-After): each is already folded into
 * the time the host is ready again. Times are wall-clock milliseconds since the epoch, so the
 * crawlers' clocks must agree (NTP) to within a fraction of the delays.
 */

/** Kafka's default `offset.metadata.max.bytes` is 4096; stay well below it. */
export const maxHandoverBytes = 3_800;
/** A hold longer than this in metadata is not believed (a wrong clock, a corrupt record). */
const maxHoldMs = 60 * 60 * 1000;

interface HandoverV1 {
  v: 1;
  /** Host key → epoch ms when the host may get its next request. */
  until: Record<string, number>;
}

/**
 * Encodes the hosts' ready times (ms from now) as commit metadata, latest first, cut to fit
 * `maxBytes`; undefined when no host waits.
 */
export function encodeHandover(
  waiting: Iterable<[host: string, readyInMs: number]>,
  nowEpochMs: number,
  maxBytes = maxHandoverBytes,
): string | undefined {
  const entries = [...waiting]
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([host, ms]) => [host, Math.ceil(nowEpochMs + ms)] as const);
  if (entries.length === 0) return undefined;
  const until: Record<string, number> = {};
  let size = '{"v":1,"until":{}}'.length;
  for (const [host, at] of entries) {
    const added = JSON.stringify(host).length + String(at).length + 2;
    if (size + added > maxBytes) break;
    until[host] = at;
    size += added;
  }
  return JSON.stringify({ v: 1, until } satisfies HandoverV1);
}

/**
 * The hosts to hold and for how long (ms from now) from a partition's commit metadata.
 * Metadata that is not a handover (another client's, a newer version) yields nothing.
 */
export function decodeHandover(metadata: string | null | undefined, nowEpochMs: number): Map<string, number> {
  const holds = new Map<string, number>();
  if (!metadata) return holds;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return holds;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== 1) return holds;
  const until = (parsed as { until?: unknown }).until;
  if (typeof until !== 'object' || until === null) return holds;
  for (const [host, at] of Object.entries(until)) {
    if (typeof at !== 'number' || !Number.isFinite(at)) continue;
    const ms = at - nowEpochMs;
    if (ms > 0) holds.set(host, Math.min(ms, maxHoldMs));
  }
  return holds;
}
