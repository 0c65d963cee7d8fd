/**
 * Fingerprints of URLs the strategy sent lately. A page links to the same navigation as
 * its neighbours; dropping what was just scheduled saves a schedule decision per link.
 * The frontier deduplicates exactly anyway: this cache only saves traffic.
 */
export class RecentUrls {
  readonly #capacity: number;
  #current = new Set<string>();
  #previous = new Set<string>();

  /** @param capacity fingerprints remembered at least (up to twice as many are kept). Default: 100,000. */
  constructor(capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  /** True when the fingerprint was seen lately; remembers it either way. */
  seen(fp: string): boolean {
    if (this.#current.has(fp)) return true;
    const seenBefore = this.#previous.has(fp);
    this.#current.add(fp);
    // Two generations give LRU-like recall at the cost of one Set insert per URL.
    if (this.#current.size >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
    return seenBefore;
  }

  /** Forgets a fingerprint, e.g. when its decision could not be sent. */
  forget(fp: string): void {
    this.#current.delete(fp);
    this.#previous.delete(fp);
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
