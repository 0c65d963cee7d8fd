import type { MetricsRegistry } from '@kraul/telemetry';
import type { FetchedPage, HookOutcome } from '../page-hooks.ts';
import { WarcWriter, type WarcWriterOptions } from './warc-writer.ts';

/**
 * The crawler's page hook that archives every fetched page to WARC files (the crawler must
 * keep raw exchanges: `keepRawResponses`). A page whose records cannot be written fails the
 * hook, so the crawler reports it for another attempt rather than losing it from the archive.
 */
export class WarcHook {
  readonly #writer: WarcWriter;
  readonly #records;

  constructor(options: WarcWriterOptions & { metrics: MetricsRegistry }) {
    this.#writer = new WarcWriter(options);
    this.#records = options.metrics.counter(
      'crawler_warc_fetches_total',
      'Fetches written to WARC files, by kind',
      ['kind'],
    );
  }

  readonly hook = async (page: FetchedPage): Promise<HookOutcome | undefined> => {
    const { response, event } = page;
    const raw = response.raw;
    if (!raw) return undefined;
    await this.#writer.write({
      url: response.finalUrl,
      requestedUrl: response.url,
      fetchedAt: event.fetchedAt,
      address: response.address,
      request: raw.request,
      status: response.status,
      statusText: raw.statusText,
      headers: raw.headers,
      body: raw.body,
      ...(raw.truncated
        ? { truncated: 'length' as const }
        : response.skippedBody
          ? { truncated: 'unspecified' as const }
          : {}),
      links: event.links.map((link) => link.url),
    });
    this.#records.inc({ kind: response.status === 304 ? 'revisit' : 'response' });
    return undefined;
  };

  files(): readonly string[] {
    return this.#writer.files();
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
