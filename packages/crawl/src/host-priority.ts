import type { HostProgress } from '@kraul/protocol';

/**
 * Where a ready host goes among the others, lower first: a host none of whose URLs has ended
 * yet goes first (its robots.txt and first pages find the next hosts), then the host with the
 * fewest URLs done less those it has left, so a host found late or with much left (a big
 * site) goes ahead of one nearly done. Counting what is done, not only what is left, matters:
 * the frontier knows few of a host's URLs until some of its pages are fetched, so a host
 * served little must not look nearly done.
 */
export function progressRank(progress: HostProgress | undefined): number {
  if (progress === undefined) return 0;
  return progress.done === 0 ? Number.NEGATIVE_INFINITY : progress.done - progress.left;
}

interface Entry<S> {
  host: S;
  rank: number;
  since: number;
  seq: number;
  taken: boolean;
}

/**
 * The hosts ready for a request, served furthest-from-done first: a host found late, with
 * most of its pages still to come, goes ahead of one nearly done, so hosts tend to end
 * together instead of the late ones ending the crawl alone at one request at a time. On a
 * crawler with more ready hosts than slots, a host passed over for `maxWaitMs` is served
 * next, in the order the hosts became ready: no host waits past that for its turn.
 */
export class ReadyHosts<S> {
  readonly #maxWaitMs: number;
  /** Min-heap by rank, then by when the host became ready. */
  readonly #heap: Entry<S>[] = [];
  /** The same entries in the order they became ready. */
  #arrivals: Entry<S>[] = [];
  #arrivalsHead = 0;
  #size = 0;
  #seq = 0;

  constructor(maxWaitMs: number) {
    this.#maxWaitMs = maxWaitMs;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a host that is ready since `now`; `rank` orders it (lower first, see progressRank). */
  add(host: S, rank: number, now: number): void {
    const entry: Entry<S> = { host, rank, since: now, seq: this.#seq++, taken: false };
    this.#arrivals.push(entry);
    this.#push(entry);
    this.#size += 1;
  }

  /** The host to serve next, or undefined when none is ready. */
  take(now: number): S | undefined {
    if (this.#size === 0) return undefined;
    const oldest = this.#oldest();
    const entry = oldest !== undefined && now - oldest.since >= this.#maxWaitMs ? oldest : this.#top();
    if (entry === undefined) return undefined;
    entry.taken = true;
    this.#size -= 1;
    // Hosts taken for their wait stay in the heap until they reach its top: rebuild it
    // before they outnumber the ready ones.
    if (this.#heap.length > 2 * this.#size + 1_024) this.#rebuildHeap();
    return entry.host;
  }

  /** Forgets every host. */
  clear(): void {
    this.#heap.length = 0;
    this.#arrivals = [];
    this.#arrivalsHead = 0;
    this.#size = 0;
  }

  #rebuildHeap(): void {
    const live = this.#heap.filter((entry) => !entry.taken);
    this.#heap.length = 0;
    for (const entry of live) this.#push(entry);
  }

  #oldest(): Entry<S> | undefined {
    while (this.#arrivalsHead < this.#arrivals.length && this.#arrivals[this.#arrivalsHead]!.taken) {
      this.#arrivalsHead += 1;
    }
    if (this.#arrivalsHead > 1_024 && this.#arrivalsHead * 2 > this.#arrivals.length) {
      this.#arrivals = this.#arrivals.slice(this.#arrivalsHead);
      this.#arrivalsHead = 0;
    }
    return this.#arrivals[this.#arrivalsHead];
  }

  #top(): Entry<S> | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      this.#pop();
      if (!top.taken) return top;
    }
    return undefined;
  }

  #before(a: Entry<S>, b: Entry<S>): boolean {
    if (a.rank !== b.rank) return a.rank < b.rank;
    return a.seq < b.seq;
  }

  #push(entry: Entry<S>): void {
    const heap = this.#heap;
    heap.push(entry);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#before(heap[at]!, heap[parent]!)) break;
      [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
      at = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let first = at;
      if (left < heap.length && this.#before(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && this.#before(heap[right]!, heap[first]!)) first = right;
      if (first === at) return;
      [heap[at], heap[first]] = [heap[first]!, heap[at]!];
      at = first;
    }
  }
}
