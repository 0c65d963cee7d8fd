import type { OutgoingRecord } from '@kraul/bus';
import { classifyStatus, FetchError } from '@kraul/fetch';
import { type ErrorClass, encodeMessage, type FetchRequest, type Job, KraulError } from '@kraul/protocol';
import { JobScope } from '@kraul/strategy';
import type { Logger } from '@kraul/telemetry';
import { hostKey } from '@kraul/url';
import type { CrawlTask } from './crawl-task.ts';
import type { FetchClientPool } from './fetch-clients.ts';
import type { HostScheduler, RunOutcome } from './host-scheduler.ts';
import type { crawlerMetrics } from './metrics.ts';
import type { OutcomePublisher } from './outcome-publisher.ts';
import { handlePage, wantsBody } from './page-handler.ts';
import type { PageHook } from './page-hook.ts';
import { fitSitemaps } from './protocol-limits.ts';
import { RobotsReports } from './robots-reports.ts';

export interface FetchPipelineOptions {
  clients: FetchClientPool;
  scheduler: HostScheduler<CrawlTask>;
  publisher: OutcomePublisher;
  metrics: ReturnType<typeof crawlerMetrics>;
  log: Logger;
  eventsTopic: string;
  pagesTopic: string;
  robotsToken: string;
  pageHook?: PageHook;
  keepRawResponses?: boolean;
}

/** Politeness of one host under one job: the delay between its requests and how many at once. */
export interface HostPoliteness {
  delayMs: number;
  concurrency: number;
}

class OutOfScopeRedirect extends KraulError {
  constructor(url: string, reason: string) {
    super('crawl.out_of_scope', `redirect to ${url} leaves the crawl's scope (${reason})`, { url, reason });
  }
}

/**
 * What happens to a request once its host's turn has come: robots.txt, the fetch (redirects
 * checked against the job's scope), the status's verdict, the page's links and document, the
 * user's page hook, and the outcome handed to the publisher.
 */
export class FetchPipeline {
  readonly #options: FetchPipelineOptions;
  readonly #sitemapsToReport = new Map<string, string[]>();
  readonly #robotsReports = new RobotsReports();
  readonly #crawlDelays = new Map<string, number>();
  readonly #scopes = new Map<string, JobScope>();

  constructor(options: FetchPipelineOptions) {
    this.#options = options;
  }

  /** The job's politeness for the host, with the host's robots.txt Crawl-delay once known. */
  politeness(job: Job, host: string): HostPoliteness {
    const politeness = job.settings.politeness;
    const crawlDelay = Math.min(this.#crawlDelays.get(host) ?? 0, politeness.maxCrawlDelayMs);
    return { delayMs: Math.max(politeness.delayMs, crawlDelay), concurrency: politeness.concurrencyPerHost };
  }

  /** The job changed: its scope is built again on its next request. */
  forgetJob(id: string): void {
    this.#scopes.delete(id);
  }

  /**
   * Crawls one request. 'again' puts it back in its host's queue (robots.txt was fetched in
   * its slot); 'skipped' frees the slot without a request to the host. A page's outcome is sent
   * in the background (`task.sending`): the host's slot is free once the page is in.
   */
  async crawl(task: CrawlTask): Promise<RunOutcome> {
    const { job, request } = task;
    const { clients, scheduler, publisher, metrics } = this.#options;
    const { fetcher, robots, addresses } = clients.for(job);
    if (job.settings.politeness.respectRobots) {
      if (!robots.isFresh(task.origin)) {
        try {
          await addresses.assertAllowed(new URL(request.url));
        } catch (error) {
          if (!(error instanceof FetchError)) throw error;
          metrics.fetches.inc({ outcome: error.errorClass });
          await publisher.fail(task, {
            errorClass: error.errorClass,
            retryable: error.retryable,
            message: error.message,
          });
          return 'done';
        }
        // robots.txt is a request to the host like any other: fetched in the page's slot, and
        // the host's delay (now with its Crawl-delay) runs before the page itself.
        const rules = await robots.get(task.origin);
        const crawlDelay = rules.crawlDelayMs();
        if (crawlDelay !== undefined) this.#crawlDelays.set(task.host, crawlDelay);
        scheduler.setPoliteness(task.host, this.politeness(job, task.host));
        const sitemaps = rules.sitemaps();
        if (sitemaps.length > 0) this.#sitemapsToReport.set(task.origin, sitemaps);
        this.#robotsReports.remember(task.origin, rules, robots.expiresAt(task.origin));
        return 'again';
      }
      const rules = await robots.get(task.origin);
      if (!rules.isAllowed(request.url)) {
        // An unreachable robots.txt disallows everything only until it is fetched again (RFC 9309).
        const unreachable = rules.source === 'unreachable';
        const message = unreachable
          ? `${task.origin}/robots.txt is unreachable`
          : `disallowed by ${task.origin}/robots.txt`;
        await publisher.fail(task, { errorClass: 'robots', retryable: unreachable, message });
        return 'skipped';
      }
    }
    const started = performance.now();
    metrics.politenessWait.observe((started - task.enqueuedAt) / 1_000);
    const scope = this.#scope(job);
    try {
      const response = await fetcher.fetch(request.url, {
        ...(request.validators ? { validators: request.validators } : {}),
        ...(this.#options.keepRawResponses ? { keepRaw: true } : {}),
        bodyFor: wantsBody,
        checkRedirect: (target) => {
          const verdict = scope.check(target, request.depth);
          if (!verdict.ok) throw new OutOfScopeRedirect(target, verdict.reason);
        },
      });
      metrics.duration.observe(response.timings.totalMs / 1_000);
      metrics.bytes.inc(response.bytesOnWire);
      const statusClass = `${Math.floor(response.status / 100)}xx`;
      const failure = classifyStatus(response.status, response.headers);
      if (failure?.retryable) {
        if (failure.retryAfterMs !== undefined) scheduler.holdHost(task.host, failure.retryAfterMs);
        metrics.fetches.inc({ outcome: statusClass });
        await publisher.fail(task, {
          errorClass: 'http_status',
          retryable: true,
          message: `HTTP ${response.status}`,
          status: response.status,
          ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
        });
        return 'done';
      }
      const { event, document } = handlePage(request, job, response, Date.now(), this.#options.robotsToken);
      const sitemaps = this.#sitemapsToReport.get(task.origin);
      if (sitemaps) {
        event.sitemaps = fitSitemaps([...(event.sitemaps ?? []), ...sitemaps]);
        this.#sitemapsToReport.delete(task.origin);
      }
      const hooked = await this.#options.pageHook?.({ request, job, response, event, document });
      if (hooked && 'failure' in hooked) {
        const { errorClass, retryable, message } = hooked.failure;
        metrics.fetches.inc({ outcome: errorClass });
        await publisher.fail(task, { errorClass, retryable, message, status: response.status });
        return 'done';
      }
      this.#robotsReports.attachTo(event, task.origin);
      metrics.fetches.inc({ outcome: statusClass });
      metrics.links.inc(event.links.length);
      const records: OutgoingRecord[] = [
        { topic: this.#options.eventsTopic, key: task.host, value: encodeMessage(event), decoded: event },
      ];
      if (document)
        records.push({ topic: this.#options.pagesTopic, key: request.fp, value: encodeMessage(document) });
      if (hooked) records.push(...hooked.records);
      // The host's slot is free once its page is in: the outcome is sent meanwhile (its offset
      // completes when the bus has it), so a host's next request does not wait for a round
      // trip to the brokers. Revocation waits for these sends like for running fetches.
      task.sending = publisher
        .publish(task, records)
        .catch((error: unknown) =>
          this.#options.log.error({ err: error, url: request.url }, 'page outcome not sent'),
        );
    } catch (error) {
      if (!(error instanceof OutOfScopeRedirect || error instanceof FetchError)) throw error;
      const errorClass: ErrorClass = error instanceof FetchError ? error.errorClass : 'out_of_scope';
      const retryable = error instanceof FetchError ? error.retryable : false;
      metrics.fetches.inc({ outcome: errorClass });
      await publisher.fail(task, { errorClass, retryable, message: error.message });
    }
    return 'done';
  }

  #scope(job: Job): JobScope {
    let scope = this.#scopes.get(job.id);
    if (!scope) {
      scope = new JobScope(job);
      this.#scopes.set(job.id, scope);
    }
    return scope;
  }
}

/** The URL and host key of a request, or why it cannot be fetched at all. */
export function targetOf(
  request: FetchRequest,
  job: Job,
): { url: URL; host: string } | { errorClass: ErrorClass; message: string } {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { errorClass: 'protocol', message: `invalid URL ${request.url}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      errorClass: 'unsupported_scheme',
      message: `only http and https URLs are fetched, not ${request.url}`,
    };
  }
  try {
    return { url, host: hostKey(url, job.settings.hostKey) };
  } catch (error) {
    return { errorClass: 'protocol', message: `no host key for ${request.url}: ${(error as Error).message}` };
  }
}
