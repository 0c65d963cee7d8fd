import { availableParallelism } from 'node:os';
import type { OutgoingRecord } from '@kraul/bus';
import { type DeadLetter, encodeMessage, type Item, type Job, type TopicNames } from '@kraul/protocol';
import type { Logger, MetricsRegistry } from '@kraul/telemetry';
import { type HandlerOutcome, HandlerPool } from './handler-pool.ts';
import type { PushedItem } from './handler-protocol.ts';
import { moduleTarget } from './load.ts';
import type { FetchedPage, HookOutcome } from './page-hooks.ts';

/** What the handlers did so far in this process: the run summary's figures. */
export interface HandlerStats {
  pages: number;
  items: number;
  invalidItems: number;
  failures: number;
  timeouts: number;
}

export interface DefinitionHookOptions {
  topics: TopicNames;
  /** The crawler group's id: named in the dead letters of refused items. */
  groupId: string;
  log: Logger;
  metrics: MetricsRegistry;
  /** Where relative module paths of jobs resolve. Default: the working directory. */
  cwd?: string;
  /** Handler threads per crawl module. Default: the cores, at most 4. */
  threads?: number;
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const MAX_MESSAGE_CHARS = 2_000;

/**
 * Runs the page handlers of jobs that name a crawl module (`settings.handler`): the crawler's
 * page hook. Items go to the items topic (keyed by job) with the page's event; an item the
 * schema refuses goes to the dead-letter topic; the links the handler enqueued replace the
 * page's links. A handler that throws or runs past its limit makes the page a retryable
 * failure of class `handler` / `handler_timeout`, with the error and its stack.
 */
export class DefinitionHook {
  readonly #options: DefinitionHookOptions;
  readonly #pools = new Map<string, { version: number; pool: HandlerPool }>();
  readonly #stats: HandlerStats = { pages: 0, items: 0, invalidItems: 0, failures: 0, timeouts: 0 };
  readonly #metrics;

  constructor(options: DefinitionHookOptions) {
    this.#options = options;
    const m = options.metrics;
    this.#metrics = {
      pages: m.counter(
        'crawler_handler_pages_total',
        'Pages given to crawl definition handlers, by outcome',
        ['outcome'],
      ),
      items: m.counter('crawler_items_total', 'Items pushed by handlers, by outcome', ['outcome']),
    };
  }

  /** The crawler's `pageHook`. */
  readonly hook = async (page: FetchedPage): Promise<HookOutcome | undefined> => {
    const handler = page.job.settings.handler;
    if (!handler) return undefined;
    // Only what the handlers enqueue is followed (and the URLs of sitemaps the crawl seeds):
    // not the sitemaps robots.txt names.
    delete page.event.sitemaps;
    if (!wantsHandler(page)) return undefined;
    const outcome = await this.#pool(page.job).run(
      {
        url: page.request.url,
        finalUrl: page.response.finalUrl,
        status: page.response.status,
        headers: page.response.headers,
        contentType: page.response.contentType,
        body: page.response.body,
        depth: page.request.depth,
        meta: page.request.meta,
        links: page.event.links.map(({ url, text, rel, nofollow }) => ({
          url,
          ...(text ? { text } : {}),
          ...(rel ? { rel } : {}),
          ...(nofollow ? { nofollow } : {}),
        })),
        maxUrlLength: page.job.settings.scope.maxUrlLength,
      },
      handler.timeoutMs,
    );
    this.#stats.pages += 1;
    return this.#outcome(page, outcome);
  };

  stats(): HandlerStats {
    return { ...this.#stats };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map(({ pool }) => pool.close()));
    this.#pools.clear();
  }

  #outcome(page: FetchedPage, outcome: HandlerOutcome): HookOutcome {
    const where = `${page.request.url} (handler ${outcome.label ?? 'handle'})`;
    if (!outcome.ok) {
      const timedOut = 'timedOut' in outcome;
      if (timedOut) this.#stats.timeouts += 1;
      else this.#stats.failures += 1;
      this.#metrics.pages.inc({ outcome: timedOut ? 'timeout' : 'threw' });
      this.#options.log.warn(
        { url: page.request.url, job: page.job.id, error: outcome.error.stack },
        'page handler failed',
      );
      return {
        failure: {
          errorClass: timedOut ? 'handler_timeout' : 'handler',
          retryable: true,
          message: `${where}: ${outcome.error.stack}`.slice(0, MAX_MESSAGE_CHARS),
        },
      };
    }
    this.#metrics.pages.inc({ outcome: 'ok' });
    if (outcome.refused.length > 0)
      this.#options.log.warn(
        { url: page.request.url, refused: outcome.refused },
        'enqueued URLs that are not valid were left out',
      );
    const { topics } = this.#options;
    const job = page.job.id;
    const records: OutgoingRecord[] = [];
    const now = Date.now();
    outcome.items.forEach((pushed: PushedItem, index) => {
      const id = `${page.request.fp}-${index}`;
      if (!pushed.ok) {
        this.#stats.invalidItems += 1;
        this.#metrics.items.inc({ outcome: 'invalid' });
        records.push({
          topic: topics.dlq,
          key: job,
          value: encodeMessage(this.#deadLetter(page, id, pushed)),
        });
        return;
      }
      this.#stats.items += 1;
      this.#metrics.items.inc({ outcome: 'published' });
      const item: Item = {
        type: 'item',
        job,
        id,
        url: page.request.url,
        fp: page.request.fp,
        ...(outcome.label === undefined ? {} : { label: outcome.label }),
        data: pushed.data,
        pushedAt: now,
      };
      records.push({ topic: topics.items, key: job, value: encodeMessage(item) });
    });
    // Only what the handler asked for is followed.
    page.event.links = outcome.enqueued;
    return { records };
  }

  /** An item that was never a record: named by the items topic, with partition and offset 0. */
  #deadLetter(page: FetchedPage, id: string, pushed: Extract<PushedItem, { ok: false }>): DeadLetter {
    return {
      type: 'dlq.record',
      topic: this.#options.topics.items,
      partition: 0,
      offset: 0,
      key: page.job.id,
      value: pushed.data,
      valueEncoding: 'utf8',
      error: {
        code: 'framework.invalid_item',
        message: `item ${id} of ${page.request.url}: ${pushed.error}`.slice(0, MAX_MESSAGE_CHARS),
        ...(pushed.field ? { field: pushed.field } : {}),
      },
      consumerGroup: this.#options.groupId,
      failedAt: Date.now(),
    };
  }

  /** One pool per job, made again when the job changes (a new module version on the jobs topic). */
  #pool(job: Job): HandlerPool {
    const known = this.#pools.get(job.id);
    if (known && known.version === job.updatedAt) return known.pool;
    if (known) void known.pool.close();
    const pool = new HandlerPool({
      module: moduleTarget(job.settings.handler!.module, this.#options.cwd),
      threads: this.#options.threads ?? Math.min(4, availableParallelism()),
      log: this.#options.log.child({ job: job.id }),
    });
    this.#pools.set(job.id, { version: job.updatedAt, pool });
    return pool;
  }
}

/** Pages a handler sees: successful HTML answers with their body (sitemaps and files are kraul's). */
function wantsHandler(page: FetchedPage): boolean {
  const { response, request } = page;
  if (response.status < 200 || response.status >= 300 || response.skippedBody) return false;
  if (request.meta?.['kind'] === 'sitemap') return false;
  return response.contentType === undefined || HTML_TYPES.has(response.contentType);
}
