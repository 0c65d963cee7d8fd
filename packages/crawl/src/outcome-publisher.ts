import type { OutgoingRecord, Producer } from '@kraul/bus';
import { type ErrorClass, encodeMessage, type FetchFailed } from '@kraul/protocol';
import type { Logger } from '@kraul/telemetry';
import type { CrawlTask } from './crawl-task.ts';
import type { crawlerMetrics } from './metrics.ts';
import { requestIdentity } from './page-handler.ts';
import type { PartitionFlow } from './partition-flow.ts';

/** Why a request ended without a page, as reported on the events topic. */
export interface FailureReport {
  errorClass: ErrorClass;
  retryable: boolean;
  message: string;
  status?: number;
  retryAfterMs?: number;
}

export interface OutcomePublisherOptions {
  producer: Producer;
  /** The events topic. */
  eventsTopic: string;
  flow: PartitionFlow;
  log: Logger;
  metrics: ReturnType<typeof crawlerMetrics>;
  /** Whether the worker still runs: a stopping worker gives up on sends its partition's next owner repeats. */
  running: () => boolean;
}

/** Longest wait between two tries of a send the bus refused. */
const MAX_BACKOFF_MS = 5_000;

/**
 * Puts each task's outcome on the bus, then lets its offset be committed: a request's offset
 * never completes before what it produced is acknowledged, so a crash redelivers, never loses.
 */
export class OutcomePublisher {
  readonly #options: OutcomePublisherOptions;

  constructor(options: OutcomePublisherOptions) {
    this.#options = options;
  }

  /** Reports a request that ended without a page. */
  async fail(task: CrawlTask, report: FailureReport): Promise<void> {
    const failure: FetchFailed = {
      type: 'fetch.failed',
      ...requestIdentity(task.request),
      errorClass: report.errorClass,
      retryable: report.retryable,
      message: report.message.slice(0, 2_000),
      ...(report.status === undefined ? {} : { status: report.status }),
      ...(report.retryAfterMs === undefined ? {} : { retryAfterMs: report.retryAfterMs }),
      failedAt: Date.now(),
    };
    if (report.errorClass === 'robots') this.#options.metrics.fetches.inc({ outcome: 'robots' });
    await this.publish(task, [
      {
        topic: this.#options.eventsTopic,
        key: task.host,
        value: encodeMessage(failure),
        decoded: failure,
      },
    ]);
  }

  /**
   * Sends the task's outputs, then lets its offset be committed. A failing bus (a broker
   * restart, a leader election) is retried with backoff for as long as this worker owns the
   * partition: giving up would leave the offset open, and with it the commit of every later
   * request of the partition, until the next rebalance. Once the partition has moved on, its
   * new owner fetches the request again; nothing is lost.
   */
  async publish(task: CrawlTask, records: OutgoingRecord[]): Promise<void> {
    const { producer, flow, log } = this.#options;
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send(records);
        break;
      } catch (error) {
        if (!flow.owns(task) || !this.#options.running()) {
          log.warn(
            { err: error, url: task.request.url, partition: task.partition },
            'page outcome not sent and its partition has moved on; its next owner fetches it again',
          );
          return;
        }
        if (attempt === 1 || attempt % 10 === 0) {
          log.warn(
            { err: error, url: task.request.url, partition: task.partition, attempt },
            'page outcome not sent yet; retrying',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
      }
    }
    flow.completed(task);
  }
}
