/**
 * Crawler-trap heuristics that need no state: URLs that are almost surely generated
 * without end (calendars, session ids, ever-deeper paths). The job's depth and page
 * limits bound every crawl anyway; these stop the obvious traps early.
 */
export interface TrapLimits {
  /** Most path segments. Default: 16. */
  maxPathSegments: number;
  /** Most times one path segment may repeat. Default: 3. */
  maxSegmentRepeats: number;
  /** Most query parameters. Default: 12. */
  maxQueryParams: number;
}

export const DEFAULT_TRAP_LIMITS: TrapLimits = {
  maxPathSegments: 16,
  maxSegmentRepeats: 3,
  maxQueryParams: 12,
};

const SESSION_PARAM = /^(?:sid|sessionid|session_id|phpsessid|jsessionid|aspsessionid\w*|sess|s)$/i;

/** Returns why the URL looks like a trap, or undefined. */
export function trapReason(url: URL, limits: TrapLimits = DEFAULT_TRAP_LIMITS): string | undefined {
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  if (segments.length > limits.maxPathSegments) return `path has ${segments.length} segments`;
  const repeats = new Map<string, number>();
  for (const segment of segments) {
    const count = (repeats.get(segment) ?? 0) + 1;
    if (count > limits.maxSegmentRepeats)
      return `path segment "${segment.slice(0, 40)}" repeats ${count} times`;
    repeats.set(segment, count);
  }
  let params = 0;
  for (const [name] of url.searchParams) {
    params += 1;
    if (SESSION_PARAM.test(name)) return `session id parameter "${name}"`;
  }
  if (params > limits.maxQueryParams) return `${params} query parameters`;
  if (/;jsessionid=/i.test(url.pathname)) return 'session id in path';
  return undefined;
}
