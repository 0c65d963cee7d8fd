/**
 * `work`, or a rejection with `failure()` (read when the time is up, so it can say how far the
 * crawl got) if it is not done within `ms`. The timer never outlives the race.
 */
export async function finishWithin<T>(work: Promise<T>, ms: number, failure: () => string): Promise<T> {
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    deadline = setTimeout(() => reject(new Error(failure())), ms);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(deadline);
  }
}
