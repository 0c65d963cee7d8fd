import type { Producer } from '@kraul/bus';
import { type CrawlSeeded, encodeMessage, type TopicNames } from '@kraul/protocol';

/** URLs per crawl.seeded message: big enough to seed millions quickly, small enough for any broker's message size. */
export const SEED_CHUNK_SIZE = 1_000;

/** A seed URL, alone or with the meta (a crawl definition's label and data) its request carries. */
export type SeedUrl = string | { url: string; meta?: CrawlSeeded['urls'][number]['meta'] };

/** One crawl.seeded message per chunk of URLs, each keyed by the host of its first URL. */
export function seedMessages(job: string, urls: readonly SeedUrl[], source: string): CrawlSeeded[] {
  const messages: CrawlSeeded[] = [];
  for (let start = 0; start < urls.length; start += SEED_CHUNK_SIZE) {
    const chunk = urls.slice(start, start + SEED_CHUNK_SIZE);
    messages.push({
      type: 'crawl.seeded',
      job,
      urls: chunk.map((seed) => (typeof seed === 'string' ? { url: seed } : seed)),
      source,
    });
  }
  return messages;
}

/**
 * Publishes normalised URLs as crawl.seeded events for a job and resolves once the broker
 * has acknowledged them all. Returns the number of messages written.
 */
export async function publishSeeds(
  producer: Producer,
  topics: TopicNames,
  job: string,
  urls: readonly SeedUrl[],
  source: string,
): Promise<number> {
  const messages = seedMessages(job, urls, source);
  for (const message of messages) {
    await producer.send([
      { topic: topics.events, key: new URL(message.urls[0]!.url).hostname, value: encodeMessage(message) },
    ]);
  }
  return messages.length;
}
