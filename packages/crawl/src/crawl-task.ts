import type { FetchRequest, Job } from '@kraul/protocol';
import type { Delivery } from '@kraul/runtime';

/** One fetch request of a todo partition, from its delivery until its outcome is on the bus. */
export interface CrawlTask {
  delivery: Delivery<FetchRequest>;
  request: FetchRequest;
  job: Job;
  host: string;
  origin: string;
  partition: number;
  /** The partition's assignment generation when the task was taken. */
  generation: number;
  enqueuedAt: number;
  /** The sending of the page's outcome, once the fetch is over and its host slot freed. */
  sending?: Promise<void>;
}
