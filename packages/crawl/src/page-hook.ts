import type { OutgoingRecord } from '@kraul/bus';
import type { FetchResponse } from '@kraul/fetch';
import type { ErrorClass, FetchRequest, Job, PageDocument, PageFetched } from '@kraul/protocol';

/** A fetched page on its way out of the crawler: what `handlePage` made of the response. */
export interface HookedPage {
  request: FetchRequest;
  job: Job;
  response: FetchResponse;
  /** The page's event; a hook may change its links (the ones the strategy gets). */
  event: PageFetched;
  document: PageDocument | undefined;
}

/** What a page hook makes of a page. */
export type PageHookResult =
  /** Records published together with the page's event, before its offset may be committed. */
  | { records: OutgoingRecord[] }
  /** The page is reported as this failure instead (retried by the job's policy when retryable). */
  | { failure: { errorClass: ErrorClass; retryable: boolean; message: string } };

/**
 * User code between a fetched page and its report: the crawl definition's page handlers
 * (items, links to follow), archival writers. Called for every response the crawler reports
 * as a page (any status, 304 included). It must not throw for a page's own reasons; a throw
 * counts as a crawler error of that request.
 */
export type PageHook = (page: HookedPage) => Promise<PageHookResult | undefined>;
