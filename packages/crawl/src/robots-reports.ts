import type { RobotsRules } from '@kraul/fetch';
import type { PageFetched, RobotsReport } from '@kraul/protocol';

/** Longest robots.txt reported; a longer file is obeyed by the crawler alone. */
const MAX_REPORTED_CHARS = 65_536;

/**
 * robots.txt rules the crawler has fetched and not yet reported. Each fetch of a host's file
 * is reported once, with the next page of that origin (`page.fetched` `robots`), so that the
 * frontier can drop the host's disallowed URLs before they cost a fetch request and an event.
 * The crawler stays the authority: it checks every URL itself as before.
 */
export class RobotsReports {
  readonly #pending = new Map<string, RobotsReport>();
  readonly #maxOrigins: number;

  constructor(maxOrigins = 10_000) {
    this.#maxOrigins = maxOrigins;
  }

  /** Rules just fetched for an origin: reported with its next page, when they can be reported whole. */
  remember(origin: string, rules: RobotsRules, expiresAt: number | undefined): void {
    const from = rules.parsedFrom;
    if (rules.source !== 'fetched' || from === undefined || expiresAt === undefined) return;
    if (from.text.length > MAX_REPORTED_CHARS) return;
    this.#pending.delete(origin);
    this.#pending.set(origin, { url: from.url, token: from.token, text: from.text, expiresAt });
    // An origin whose pages all fail never reports: the oldest such reports go first.
    for (const oldest of this.#pending.keys()) {
      if (this.#pending.size <= this.#maxOrigins) break;
      this.#pending.delete(oldest);
    }
  }

  /** Puts the origin's unreported rules, if any, into the page's event. */
  attachTo(event: PageFetched, origin: string): void {
    const report = this.#pending.get(origin);
    if (report === undefined) return;
    event.robots = report;
    this.#pending.delete(origin);
  }
}
