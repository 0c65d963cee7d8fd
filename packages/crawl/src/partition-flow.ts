import type { CommittedOffset, TopicPartition } from '@kraul/bus';
import type { FetchRequest } from '@kraul/protocol';
import type { Delivery, TopicConsumer } from '@kraul/runtime';
import type { Logger } from '@kraul/telemetry';
import type { CrawlTask } from './crawl-task.ts';
import { FinishedOffsets } from './finished-offsets.ts';
import type { HostScheduler, RunOutcome } from './host-scheduler.ts';
import type { crawlerMetrics } from './metrics.ts';
import { decodeHandover, encodeHandover } from './politeness-handover.ts';

export interface PartitionFlowOptions {
  /** The todo topic. */
  topic: string;
  consumer: TopicConsumer<FetchRequest>;
  scheduler: HostScheduler<CrawlTask>;
  metrics: ReturnType<typeof crawlerMetrics>;
  log: Logger;
  /** Fetch requests held per assigned partition; the partition is paused when full. */
  partitionBuffer: number;
  /** How long a revoked partition's running fetches may take to finish before it is handed over. */
  revokeGraceMs: number;
  /** The group's session timeout: how long a dead member keeps its partitions. */
  sessionTimeoutMs: number;
}

/**
 * The broker never expels a member sooner than this (the lowest session the test brokers and
 * docs/cluster.md allow): a bound on the session of a group whose members set different ones.
 */
const SHORTEST_SESSION_MS = 1_000;

/**
 * The crawler's side of partition membership: what each todo partition holds, when it is
 * paused and resumed, which assignment a task belongs to, and what goes with a partition when
 * it changes owner (the politeness of its hosts and the requests finished beyond its commit,
 * in the commit metadata). Only partitions that change owner are touched: a member keeps the
 * queues and running fetches of every partition it keeps.
 */
export class PartitionFlow {
  readonly #options: PartitionFlowOptions;
  readonly #load = new Map<number, number>();
  readonly #generation = new Map<number, number>();
  /** When each partition was last assigned to this worker (performance.now()). */
  readonly #assignedAt = new Map<number, number>();
  /** The todo partition of every host this worker scheduled: whose handover carries the host's delay. */
  readonly #hostPartition = new Map<string, number>();
  /** Partitions being given up: their running fetches may finish, nothing new of theirs starts. */
  readonly #revoking = new Set<number>();
  readonly #finished = new FinishedOffsets();
  /** Per partition: each running task's fetch followed by the sending of its outcome. */
  readonly #running = new Map<number, Set<Promise<unknown>>>();
  /** Revoked with nothing left running: the commit that follows hands over a complete list. */
  readonly #drained = new Set<number>();
  /** Assigned with a complete handover from the previous owner: no wait of its own needed. */
  readonly #handedOverComplete = new Set<number>();

  constructor(options: PartitionFlowOptions) {
    this.#options = options;
  }

  /**
   * Partitions were assigned. Holds every host of theirs until the time its previous owner
   * said it may be fetched again, and skips the requests it had finished beyond its commit
   * (the handover in the partition's commit metadata).
   */
  assigned(partitions: readonly TopicPartition[], committed: readonly CommittedOffset[]): void {
    const now = performance.now();
    for (const { partition } of partitions) {
      this.#assignedAt.set(partition, now);
      this.#drained.delete(partition);
      this.#handedOverComplete.delete(partition);
      this.#generation.set(partition, (this.#generation.get(partition) ?? 0) + 1);
      this.#finished.assigned(partition);
    }
    let held = 0;
    const wallNow = Date.now();
    for (const { partition, metadata } of committed) {
      const { holds, done, complete } = decodeHandover(metadata, wallNow, {
        // Only a handover committed before the group moved on is the latest word on the partition.
        completeWithinMs: this.#options.consumer.commitsBeforeHandover
          ? Math.min(this.#options.sessionTimeoutMs, SHORTEST_SESSION_MS)
          : 0,
      });
      if (complete) this.#handedOverComplete.add(partition);
      for (const [host, ms] of holds) {
        this.#hostPartition.set(host, partition);
        this.#options.scheduler.holdHost(host, ms);
        held += 1;
      }
      this.#finished.adopt(partition, done);
    }
    this.#options.log.info(
      { partitions: partitions.map((p) => p.partition), heldHosts: held },
      'partitions assigned',
    );
  }

  /** The handover of one partition: when each of its waiting hosts may be fetched again, and what is finished beyond the commit. */
  handover(partition: number): string | undefined {
    const waiting = [...this.#options.scheduler.waitingHosts()].filter(
      ([host]) => this.#hostPartition.get(host) === partition,
    );
    return encodeHandover(waiting, Date.now(), this.#finished.finishedBeyondCommit(partition), {
      complete: this.#drained.has(partition),
    });
  }

  /**
   * Whether the partition's previous owner handed it over completely (it gave it up with
   * nothing running, and listed every host still waiting out its delay): then a host it did
   * not list may be fetched at once, without a wait counted from this assignment.
   */
  handedOverComplete(partition: number): boolean {
    return this.#handedOverComplete.has(partition);
  }

  /**
   * Whether a delivered request was finished by this worker in an earlier assignment of its
   * partition; if so it is completed here and must not be fetched.
   */
  skipFinished(delivery: Delivery<FetchRequest>): boolean {
    const { partition, offset } = delivery.record;
    if (!this.#finished.alreadyFinished(partition, offset)) return false;
    this.#options.consumer.complete(delivery);
    return true;
  }

  /** Completes a delivery that never became a task (its job is gone or stopped). */
  drop(delivery: Delivery<FetchRequest>): void {
    this.#options.consumer.complete(delivery);
    this.#finished.finish(delivery.record.partition, delivery.record.offset);
  }

  /** The partition's current assignment generation: what a new task is stamped with. */
  generation(partition: number): number {
    return this.#generation.get(partition) ?? 0;
  }

  /** Milliseconds since the partition was last assigned to this worker. */
  sinceAssigned(partition: number, now: number): number {
    return now - (this.#assignedAt.get(partition) ?? Number.NEGATIVE_INFINITY);
  }

  /** A task was taken into the host queues: it counts against its partition's buffer. */
  taken(task: CrawlTask): void {
    this.#hostPartition.set(task.host, task.partition);
    this.#changeLoad(task.partition, +1);
  }

  /** Whether the task's partition is still held in the assignment the task came from. */
  owns(task: CrawlTask): boolean {
    return this.#generation.get(task.partition) === task.generation;
  }

  /** Whether the task may start now: its partition is held and not on its way out. */
  mayStart(task: CrawlTask): boolean {
    return this.owns(task) && !this.#revoking.has(task.partition);
  }

  /**
   * The task's outcome is on the bus: its offset may be committed. A task of an earlier
   * assignment neither completes (its offsets are another member's now) nor counts against
   * the partition's buffer (cleared at revoke).
   */
  completed(task: CrawlTask): void {
    if (!this.owns(task)) return;
    this.#options.consumer.complete(task.delivery);
    this.#finished.finish(task.partition, task.delivery.record.offset);
    this.#changeLoad(task.partition, -1);
  }

  /** Runs a task and remembers it, with the later sending of its outcome, for a revocation to wait for. */
  track(task: CrawlTask, run: Promise<RunOutcome>): Promise<RunOutcome> {
    let running = this.#running.get(task.partition);
    if (!running) {
      running = new Set();
      this.#running.set(task.partition, running);
    }
    const whole = run.then(
      () => task.sending,
      () => undefined,
    );
    running.add(whole);
    void whole.finally(() => running.delete(whole));
    return run;
  }

  /**
   * Gives up partitions: drops their queued requests, lets their running fetches and sends
   * finish within the grace time, then forgets them. The consumer commits what completed
   * right after this returns.
   */
  async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    const { scheduler, metrics, consumer } = this.#options;
    const revoked = new Set(
      partitions.filter((tp) => tp.topic === this.#options.topic).map((tp) => tp.partition),
    );
    for (const partition of revoked) {
      this.#revoking.add(partition);
      if (consumer.isPaused({ topic: this.#options.topic, partition })) metrics.pausedPartitions.dec();
    }
    const dropped = scheduler.remove((task) => revoked.has(task.partition));
    const running = [...revoked].flatMap((partition) => [...(this.#running.get(partition) ?? [])]);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled(running).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#options.revokeGraceMs);
      }),
    ]);
    clearTimeout(timer);
    for (const partition of revoked) {
      // A fetch still running past the grace may end after the handover: not complete then.
      if (drained) this.#drained.add(partition);
      this.#handedOverComplete.delete(partition);
      this.#generation.set(partition, (this.#generation.get(partition) ?? 0) + 1);
      this.#load.delete(partition);
      this.#revoking.delete(partition);
      this.#finished.revoked(partition);
    }
    metrics.queued.set(scheduler.queued);
    this.#options.log.info(
      { partitions: [...revoked], droppedQueued: dropped.length, finishedRunning: running.length },
      'partitions revoked',
    );
  }

  #changeLoad(partition: number, delta: number): void {
    const load = (this.#load.get(partition) ?? 0) + delta;
    this.#load.set(partition, load);
    // A partition on its way out stays as it is; its stream goes with it.
    if (this.#revoking.has(partition)) return;
    const { consumer, metrics, partitionBuffer } = this.#options;
    const tp = { topic: this.#options.topic, partition };
    if (delta > 0 && load >= partitionBuffer && !consumer.isPaused(tp)) {
      consumer.pause([tp]);
      metrics.pausedPartitions.inc();
    } else if (delta < 0 && load <= partitionBuffer / 2 && consumer.isPaused(tp)) {
      consumer.resume([tp]);
      metrics.pausedPartitions.dec();
    }
  }
}
