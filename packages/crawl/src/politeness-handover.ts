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
  /**
   * Written by an owner that gave the partition up with nothing of it running: every host it
   * fetched is in `until` (or free), so the next owner needs no wait of its own.
   */
  complete?: true;
  /** Epoch ms when it was written (with `complete`). */
  at?: number;
}

/** What a partition's owner hands to the next one with its commit. */
export interface Handover {
  /** Host key → ms from now until the host may get its next request. */
  holds: Map<string, number>;
  /** Offsets finished beyond the committed offset. */
  done: number[];
  /**
   * The previous owner gave the partition up with nothing running and every waiting host
   * listed: hosts it does not list may be fetched at once. Otherwise (a commit made while it
   * worked, the last one of an owner that died) a host fetched after it may be missing, and
   * the next owner waits out each host's delay from its assignment.
   */
  complete: boolean;
}

export interface HandoverDecoding {
  /**
   * How old a complete handover may be and still be taken as complete. An owner between the
   * writer and the reader that died before its first commit would have left it in place, but
   * a dead member keeps its partitions for a whole session timeout: a handover younger than
   * the shortest session the group may have cannot have been skipped over that way.
   * Default: 0 (never taken as complete).
   */
  completeWithinMs?: number;
}

export interface HandoverEncoding {
  /** The owner is giving the partition up and nothing of it runs any more. Default: false. */
  complete?: boolean;
  /** Default: {@link maxHandoverBytes}. */
  maxBytes?: number;
}

/**
 * Encodes the hosts' ready times (ms from now), latest first, and the offsets finished
 * beyond the commit as commit metadata, cut to fit `maxBytes` (hosts first: politeness is a
 * rule, a skipped duplicate only saves a fetch); undefined when there is nothing to hand over.
 * A complete handover is written even when empty (it says no host waits), and stops being
 * complete when a host had to be cut.
 */
export function encodeHandover(
  waiting: Iterable<[host: string, readyInMs: number]>,
  nowEpochMs: number,
  done: readonly number[] = [],
  { complete = false, maxBytes = maxHandoverBytes }: HandoverEncoding = {},
): string | undefined {
  const entries = [...waiting]
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([host, ms]) => [host, Math.ceil(nowEpochMs + ms)] as const);
  if (entries.length === 0 && done.length === 0 && !complete) return undefined;
  const until: Record<string, number> = {};
  let size = '{"v":1,"until":{},"done":[],"complete":true}'.length;
  let allHosts = true;
  for (const [host, at] of entries) {
    const added = JSON.stringify(host).length + String(at).length + 2;
    if (size + added > maxBytes) {
      allHosts = false;
      break;
    }
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
  if (complete && allHosts) {
    handover.complete = true;
    handover.at = nowEpochMs;
  }
  return JSON.stringify(handover);
}

/**
 * What the previous owner handed over in a partition's commit metadata. Metadata that is
 * not a handover (another client's, a newer version) yields nothing.
 */
export function decodeHandover(
  metadata: string | null | undefined,
  nowEpochMs: number,
  { completeWithinMs = 0 }: HandoverDecoding = {},
): Handover {
  const handover: Handover = { holds: new Map(), done: [], complete: false };
  if (!metadata) return handover;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return handover;
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== 1) return handover;
  const { until, done, complete, at } = parsed as {
    until?: unknown;
    done?: unknown;
    complete?: unknown;
    at?: unknown;
  };
  if (typeof until === 'object' && until !== null) {
    for (const [host, at] of Object.entries(until)) {
      if (typeof at !== 'number' || !Number.isFinite(at)) continue;
      const ms = at - nowEpochMs;
      if (ms > 0) handover.holds.set(host, Math.min(ms, maxHoldMs));
    }
  }
  if (Array.isArray(done))
    handover.done = done.filter((offset) => Number.isSafeInteger(offset) && offset >= 0);
  handover.complete =
    complete === true &&
    typeof until === 'object' &&
    until !== null &&
    typeof at === 'number' &&
    nowEpochMs - at < completeWithinMs;
  return handover;
}
