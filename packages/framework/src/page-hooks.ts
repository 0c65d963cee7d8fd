import type { OutgoingRecord } from '@kraul/bus';
import type { ErrorClass, FetchRequest, Job, PageFetched } from '@kraul/protocol';
import type { ArchivedFetch } from './warc/warc-writer.ts';

/** The fetched page as the crawler hands it to its page hook (its HookedPage, structurally). */
export interface FetchedPage {
  request: FetchRequest;
  job: Job;
  response: {
    url: string;
    status: number;
    finalUrl: string;
    headers: Record<string, string>;
    contentType: string | undefined;
    body: Buffer;
    skippedBody: boolean;
    address: string | undefined;
    /** The exchange as on the wire, when the crawler keeps it (WARC output). */
    raw?: Pick<ArchivedFetch, 'request' | 'statusText' | 'headers'> & { body: Buffer; truncated: boolean };
  };
  event: PageFetched;
}

export type HookOutcome =
  | { records: OutgoingRecord[] }
  | { failure: { errorClass: ErrorClass; retryable: boolean; message: string } };

export type PageHookFunction = (page: FetchedPage) => Promise<HookOutcome | undefined>;

/**
 * One page hook out of several, run in order on every page: their records together, or the
 * first failure (the hooks after it do not run).
 */
export function combinePageHooks(...hooks: PageHookFunction[]): PageHookFunction {
  return async (page) => {
    const records: OutgoingRecord[] = [];
    let any = false;
    for (const hook of hooks) {
      const outcome = await hook(page);
      if (!outcome) continue;
      if ('failure' in outcome) return outcome;
      any = true;
      records.push(...outcome.records);
    }
    return any ? { records } : undefined;
  };
}
