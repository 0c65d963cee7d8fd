/** The test site's request log as read from its container, and what the test judges by it. */
import type { LoggedRequest } from '@kraul/testkit';

export interface SiteLog {
  hosts: string[];
  /** URLs a correct crawl seeded with host 0's /p/0 fetches. */
  expected: string[];
  requests: LoggedRequest[];
}

export async function readSiteLog(controlPort: number): Promise<SiteLog> {
  const response = await fetch(`http://127.0.0.1:${controlPort}/log`);
  if (!response.ok) throw new Error(`test site log: HTTP ${response.status}`);
  return (await response.json()) as SiteLog;
}

export const isGraphPage = (request: LoggedRequest): boolean => /^\/p\/\d+$/.test(request.path);

/** How often each graph page URL was requested (aborted requests included: they reached the site). */
export function pageCounts(log: SiteLog): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of log.requests.filter(isGraphPage))
    counts.set(request.url, (counts.get(request.url) ?? 0) + 1);
  return counts;
}

/** Graph pages whose request started within [from, to) (epoch ms). */
export function pagesBetween(log: SiteLog, from: number, to: number): number {
  return log.requests.filter(
    (request) => isGraphPage(request) && request.startedAtEpoch >= from && request.startedAtEpoch < to,
  ).length;
}

/**
 * Per host: each request's start minus the latest end among the requests to that host that
 * started before it (the pause a polite crawler leaves), and the most requests open at once.
 */
export interface HostPoliteness {
  host: number;
  minGapMs: number;
  /** The request that followed the shortest gap: when it started (epoch ms) and what it asked for. */
  minGapBefore: { path: string; startedAtEpoch: number; previousPath: string } | undefined;
  maxConcurrency: number;
}

export function politeness(log: SiteLog): HostPoliteness[] {
  const byHost = new Map<number, LoggedRequest[]>();
  for (const request of log.requests) {
    const list = byHost.get(request.host) ?? [];
    list.push(request);
    byHost.set(request.host, list);
  }
  return [...byHost].map(([host, requests]) => {
    requests.sort((a, b) => a.startedAtEpoch - b.startedAtEpoch);
    let latestEnd = Number.NEGATIVE_INFINITY;
    let previousPath = '';
    let minGapMs = Number.POSITIVE_INFINITY;
    let minGapBefore: HostPoliteness['minGapBefore'];
    for (const request of requests) {
      if (latestEnd !== Number.NEGATIVE_INFINITY && request.startedAtEpoch - latestEnd < minGapMs) {
        minGapMs = request.startedAtEpoch - latestEnd;
        minGapBefore = { path: request.path, startedAtEpoch: request.startedAtEpoch, previousPath };
      }
      latestEnd = Math.max(latestEnd, request.endedAtEpoch ?? Number.POSITIVE_INFINITY);
      previousPath = request.path;
    }
    const maxConcurrency = Math.max(...requests.map((request) => request.inFlightAtStart));
    return { host, minGapMs, minGapBefore, maxConcurrency };
  });
}

/** The longest time after `from` (epoch ms) that any host waited between two graph-page requests. */
export function longestPauseAfter(log: SiteLog, from: number): number {
  const byHost = new Map<number, number[]>();
  for (const request of log.requests.filter(isGraphPage)) {
    if (request.startedAtEpoch < from) continue;
    const list = byHost.get(request.host) ?? [from];
    list.push(request.startedAtEpoch);
    byHost.set(request.host, list);
  }
  let longest = 0;
  for (const starts of byHost.values()) {
    starts.sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) longest = Math.max(longest, starts[i]! - starts[i - 1]!);
  }
  return longest;
}
