import type { PageFetched } from '@kraul/protocol';
import { fingerprint } from '@kraul/url';

export { testJob as makeJob } from '@kraul/testkit/jobs';

/** A page.fetched event of `url`, fetched without redirect, with the given links. */
export function pageFetched(url: string, fields: Partial<PageFetched> = {}): PageFetched {
  return {
    type: 'page.fetched',
    job: 'job-1',
    url,
    fp: fingerprint(url),
    depth: 0,
    attempt: 1,
    lease: 'lease-1',
    status: 200,
    finalUrl: url,
    redirects: [],
    fetchedAt: 1_000,
    timings: { ttfbMs: 5, totalMs: 10 },
    bytes: 100,
    links: [],
    ...fields,
  };
}
