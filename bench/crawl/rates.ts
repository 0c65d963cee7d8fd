/** Progress of a crawl: when (ms from its start) how many pages had been fetched. */
export type Progress = readonly (readonly [ms: number, pages: number])[];

/** The share of the pages between which the steady rate is taken: past the start, before any crawler runs dry. */
export const STEADY_FROM = 0.1;
export const STEADY_TO = 0.5;

/** Over what the rate reached at a moment is taken: the last so many milliseconds, or the last so many pages. */
export type RateWindow = { ms: number } | { pages: number };

export interface CrawlRates {
  /** Pages over the whole crawl's time. */
  pagesPerSecond: number;
  /** The rate between 10% and 50% of the pages. */
  steadyPagesPerSecond: number;
  /** When the rate over the window first reached 90% of the steady rate (the whole crawl if never). */
  rampMs: number;
}

/** Whole-crawl rate, steady rate and ramp-up of one crawl, from its progress samples. */
export function crawlRates(
  result: { wallMs: number; progress: Progress },
  pages: number,
  window: RateWindow,
): CrawlRates {
  const at = (share: number): number => {
    const target = pages * share;
    const [ms] = result.progress.find(([, fetched]) => fetched >= target) ?? [result.wallMs];
    return ms;
  };
  const from = at(STEADY_FROM);
  const to = at(STEADY_TO);
  const steady = to > from ? ((STEADY_TO - STEADY_FROM) * pages * 1_000) / (to - from) : Number.NaN;
  let rampMs = result.wallMs;
  for (const [index, [ms, fetched]] of result.progress.entries()) {
    const earlier = startOfWindow(result.progress, index, window);
    if (!earlier || ms <= earlier[0]) continue;
    const rate = ((fetched - earlier[1]) * 1_000) / (ms - earlier[0]);
    if (rate >= 0.9 * steady) {
      rampMs = ms;
      break;
    }
  }
  return { pagesPerSecond: (pages * 1_000) / result.wallMs, steadyPagesPerSecond: steady, rampMs };
}

/** The latest sample at least a window before sample `index`, if the crawl is that far yet. */
function startOfWindow(
  progress: Progress,
  index: number,
  window: RateWindow,
): readonly [number, number] | undefined {
  const [ms, fetched] = progress[index]!;
  for (let earlier = index - 1; earlier >= 0; earlier--) {
    const sample = progress[earlier]!;
    if ('ms' in window ? sample[0] <= ms - window.ms : sample[1] <= fetched - window.pages) return sample;
  }
  return undefined;
}
