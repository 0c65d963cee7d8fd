import { parsedRules, type RobotsRules } from '@kraul/fetch/robots-rules';
import type { RobotsDecision } from '@kraul/protocol';
import { normalizedOrigin } from '@kraul/url';

interface Known {
  rules: RobotsRules;
  expiresAt: number;
}

/** Origins of one shard whose rules are kept; the least recently reported go first. */
const MAX_ORIGINS = 10_000;

/**
 * The robots.txt rules of a shard's hosts as the crawlers reported them (`robots` decisions),
 * parsed with the crawler's own parser and product token, so the frontier drops a disallowed
 * URL before it costs a fetch request and an event. Kept in memory until the crawler's copy
 * expires: after a restart, or for a host not yet reported, the crawler alone decides, as it
 * always does.
 */
export class HostRobots {
  readonly #byOrigin = new Map<string, Known>();

  /** Records a host's reported rules. */
  learn(decision: RobotsDecision): void {
    let origin: string;
    try {
      origin = new URL(decision.url).origin;
    } catch {
      return;
    }
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, {
      rules: parsedRules(decision.url, decision.text, decision.token),
      expiresAt: decision.expiresAt,
    });
    for (const oldest of this.#byOrigin.keys()) {
      if (this.#byOrigin.size <= MAX_ORIGINS) break;
      this.#byOrigin.delete(oldest);
    }
  }

  /**
   * True when the URL's host reported rules, still in force at `now`, that disallow it. The
   * origin is read from the string (URLs here are normalised): one that is not, or not in the
   * form rules were learnt under, finds no rules and is left to the crawler, which always checks.
   */
  disallows(url: string, now: number): boolean {
    if (this.#byOrigin.size === 0) return false;
    const origin = normalizedOrigin(url);
    if (origin === undefined) return false;
    const known = this.#byOrigin.get(origin);
    if (known === undefined) return false;
    if (known.expiresAt <= now) {
      this.#byOrigin.delete(origin);
      return false;
    }
    return !known.rules.isAllowed(url);
  }
}
