import { hostname } from 'node:os';
import type { Bus, Producer } from '@kraul/bus';
import {
  encodeMessage,
  type FrontierProgress,
  groupId,
  progressKey,
  type ShardJobCounts,
  type TopicNames,
} from '@kraul/protocol';
import type { JobRegistry } from '@kraul/runtime';
import type { UrlState } from '@kraul/store';
import type { Logger } from '@kraul/telemetry';

/** What the reporter needs of the frontier: its shards and their counts. */
export interface ReportedShards {
  ownedPartitions(): number[];
  /** URLs per state of one owned shard for one job; undefined when the shard is not owned. */
  shardCounts(partition: number, job: string): Record<UrlState, number> | undefined;
}

export interface ProgressReporterOptions {
  bus: Bus;
  jobs: JobRegistry;
  shards: ReportedShards;
  topics: TopicNames;
  prefix: string;
  log: Logger;
  /** How often the shards are counted; a report is sent when something changed. Default: 1,000 ms. */
  intervalMs?: number;
  /** A shard whose report has not changed is reported again after this long. Default: 30,000 ms. */
  refreshMs?: number;
}

/**
 * Publishes, for every owned schedule partition, what its shard holds per job (frontier.progress
 * on the compacted jobs topic, keyed by partition), together with the frontier group's committed
 * offset on that partition read before counting: a reader then knows which schedule records the
 * counts include (see `assessCompletion` in @kraul/runtime).
 */
export class ProgressReporter {
  readonly #options: ProgressReporterOptions;
  readonly #producer: Producer;
  readonly #owner = `${hostname()}:${process.pid}`;
  /** What was last sent per partition, and when. */
  readonly #sent = new Map<number, { body: string; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ProgressReporterOptions) {
    this.#options = options;
    this.#producer = options.bus.producer({ clientId: 'kraul-frontier-progress' });
  }

  start(): void {
    const tick = (): void => {
      this.#running = this.report()
        .catch((error: unknown) => this.#options.log.warn({ err: error }, 'progress report not sent'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs ?? 1_000);
        });
    };
    tick();
  }

  /** Sends a last report of the shards still owned, then closes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.report().catch((error: unknown) =>
      this.#options.log.warn({ err: error }, 'last progress report not sent'),
    );
    await this.#producer.close();
  }

  /** Counts every owned shard and sends the reports that changed (or are due for a refresh). */
  async report(now = Date.now()): Promise<void> {
    const { bus, topics, prefix, shards, jobs } = this.#options;
    if (shards.ownedPartitions().length === 0) return;
    const admin = bus.admin();
    let committed: Map<number, number>;
    try {
      const lag = await admin.lag(groupId(prefix, 'frontier'), topics.schedule);
      committed = new Map(lag.map((partition) => [partition.partition, partition.committed]));
    } finally {
      await admin.close();
    }
    // Counted after the offsets were read: every record below them is in the counts.
    const ids = jobs.all().map((job) => job.id);
    const refreshMs = this.#options.refreshMs ?? 30_000;
    const reports: FrontierProgress[] = [];
    for (const partition of shards.ownedPartitions()) {
      const counts: ShardJobCounts[] = [];
      let owned = true;
      for (const job of ids) {
        const shard = shards.shardCounts(partition, job);
        if (!shard) {
          owned = false;
          break;
        }
        if (Object.values(shard).some((count) => count > 0)) counts.push({ job, ...shard });
      }
      if (!owned) continue;
      const scheduleOffset = committed.get(partition) ?? -1;
      const body = JSON.stringify([scheduleOffset, counts]);
      const previous = this.#sent.get(partition);
      if (previous && previous.body === body && now - previous.at < refreshMs) continue;
      reports.push({
        type: 'frontier.progress',
        partition,
        scheduleOffset,
        owner: this.#owner,
        at: now,
        jobs: counts,
      });
    }
    if (reports.length === 0) return;
    await this.#producer.send(
      reports.map((report) => ({
        topic: topics.jobs,
        key: progressKey(report.partition),
        value: encodeMessage(report),
      })),
    );
    for (const report of reports) {
      this.#sent.set(report.partition, {
        body: JSON.stringify([report.scheduleOffset, report.jobs]),
        at: now,
      });
    }
  }
}
