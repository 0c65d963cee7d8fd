/**
 * Politeness (and finished work) that moves with a partition. The member that gives a todo partition up (or
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
  /** Offsets beyond the committed one that are finished already: the next owner skips them. */
  done?: number[];
}

/** What a partition's owner hands to the next one with its commit. */
export interface Handover {
  /** Host key → ms from now until the host may get its next request. */
  holds: Map<string, number>;
  /** Offsets finished beyond the committed offset. */
  done: number[];
}

/**
 * Encodes the hosts' ready times (ms from now), latest first, and the offsets finished
 * beyond the commit as commit metadata, cut to fit `maxBytes` (hosts first: politeness is a
 * rule, a skipped duplicate only saves a fetch); undefined when there is nothing to hand over.
 */
export function encodeHandover(
  waiting: Iterable<[host: string, readyInMs: number]>,
  nowEpochMs: number,
  done: readonly number[] = [],
  maxBytes = maxHandoverBytes,
): string | undefined {
  const entries = [...waiting]
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([host, ms]) => [host, Math.ceil(nowEpochMs + ms)] as const);
  if (entries.length === 0 && done.length === 0) return undefined;
  const until: Record<string, number> = {};
  let size = '{"v":1,"until":{},"done":[]}'.length;
  for (const [host, at] of entries) {
    const added = JSON.stringify(host).length + String(at).length + 2;
    if (size + added > maxBytes) break;
    until[host] = at;
    size += added;
  }
  const kept: number[] = [];
  for (const offset of done) {
    const added = String(offset).length + 1;
    if (size + added > maxBytes) break;
    kept.push(offset);
    size += added;
  }
  const handover: HandoverV1 = { v: 1, until };
  if (kept.length > 0) handover.done = kept;
  return JSON.stringify(handover);
}

/**
 * What the previous owner handed over in a partition's commit metadata. Metadata that is
 * not a handover (another client's, a newer version) yields nothing.
 */
export function decodeHandover(metadata: string | null | undefined, nowEpochMs: number): Handover {
  const handover: Handover = { holds: new Map(), done: [] };
  if (!metadata) return handover;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return handover;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== 1) return handover;
  const { until, done } = parsed as { until?: unknown; done?: unknown };
  if (typeof until === 'object' && until !== null) {
    for (const [host, at] of Object.entries(until)) {
      if (typeof at !== 'number' || !Number.isFinite(at)) continue;
      const ms = at - nowEpochMs;
      if (ms > 0) handover.holds.set(host, Math.min(ms, maxHoldMs));
    }
  }
  if (Array.isArray(done))
    handover.done = done.filter((offset) => Number.isSafeInteger(offset) && offset >= 0);
  return handover;
}
