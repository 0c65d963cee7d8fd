import type { FrontierShardStore, UrlEntry } from '@kraul/store';

/**
 * How the frontier picks the todo partition of a host it has not sent a request for yet
 * (docs/architecture.md, "Host placement"):
 * - `balanced`: the partition that holds the fewest hosts of this frontier's shards, the
 *   shard's own first on a tie. Crawlers own whole partitions, so equal partitions give
 *   them equal shares of the hosts, which Kafka's hash of a few host names rarely does.
 * - `hash`: the shard's own partition, where Kafka's default partitioner puts the host key,
 *   so that a todo partition has one writer and a host's partition follows from its name.
 * A host keeps the partition it was given, whatever the setting later says.
 */
export type HostPlacementMode = 'balanced' | 'hash';

/**
 * The todo partitions of the hosts of the shards one frontier process owns. A host gets its
 * partition before its first request is sent, recorded in its shard's store in the same
 * process, and keeps it for good: every request of a host reaches the one crawler that owns
 * that partition, which is what keeps politeness without locks.
 */
export class HostPlacement {
  readonly #mode: HostPlacementMode;
  #todoPartitions = 0;
  /** Hosts per todo partition over the open shards. */
  readonly #load = new Map<number, number>();
  /** Each open shard's part of the load, taken off when it closes. */
  readonly #shardLoad = new Map<number, Map<number, number>>();

  constructor(mode: HostPlacementMode = 'balanced') {
    this.#mode = mode;
  }

  /** The todo topic's partition count, from the broker: the partitions a host may be given. */
  set todoPartitions(count: number) {
    this.#todoPartitions = count;
  }

  /** A shard opened: its hosts count towards their partitions. */
  opened(store: FrontierShardStore): void {
    const load = store.hostPartitions.counts();
    this.#shardLoad.set(store.partition, load);
    for (const [partition, hosts] of load) this.#add(partition, hosts);
  }

  /** A shard closed (revoked, or the role stopped): its hosts no longer count. */
  closed(shardPartition: number): void {
    const load = this.#shardLoad.get(shardPartition);
    if (!load) return;
    this.#shardLoad.delete(shardPartition);
    for (const [partition, hosts] of load) this.#add(partition, -hosts);
  }

  /**
   * The todo partition of each leased entry, in order. Hosts without one get it now; the
   * decisions are recorded in the shard's store, in one transaction, before this returns,
   * so a request is never sent to a partition its host might not keep.
   */
  partitionsOf(store: FrontierShardStore, entries: readonly UrlEntry[]): number[] {
    const known = new Map<string, number>();
    const decided: [hostKey: string, partition: number][] = [];
    const partitions = entries.map((entry) => {
      let partition = known.get(entry.hostKey) ?? store.hostPartitions.get(entry.hostKey);
      if (partition === undefined) {
        partition = this.#choose(store.partition);
        decided.push([entry.hostKey, partition]);
        // Counted at once: the next new host of the same batch sees this one.
        this.#count(store.partition, partition, 1);
      }
      known.set(entry.hostKey, partition);
      return partition;
    });
    if (decided.length > 0) {
      try {
        store.transaction(() => {
          for (const [hostKey, partition] of decided) store.hostPartitions.set(hostKey, partition);
        });
      } catch (error) {
        for (const [, partition] of decided) this.#count(store.partition, partition, -1);
        throw error;
      }
    }
    return partitions;
  }

  /** Hosts per todo partition over the open shards (for metrics and tests). */
  load(): ReadonlyMap<number, number> {
    return this.#load;
  }

  #choose(shardPartition: number): number {
    const count = this.#todoPartitions;
    if (this.#mode === 'hash' || count <= 1 || shardPartition >= count) return shardPartition;
    // The least loaded partition, looking from the shard's own onwards: a tie keeps a host
    // where its hash put it, and the shards' next hosts spread instead of piling on partition 0.
    let best = shardPartition;
    let bestLoad = this.#load.get(shardPartition) ?? 0;
    for (let step = 1; step < count; step++) {
      const partition = (shardPartition + step) % count;
      const load = this.#load.get(partition) ?? 0;
      if (load < bestLoad) {
        best = partition;
        bestLoad = load;
      }
    }
    return best;
  }

  #count(shardPartition: number, partition: number, hosts: number): void {
    this.#add(partition, hosts);
    const shardLoad = this.#shardLoad.get(shardPartition);
    if (shardLoad) shardLoad.set(partition, (shardLoad.get(partition) ?? 0) + hosts);
  }

  #add(partition: number, hosts: number): void {
    const total = (this.#load.get(partition) ?? 0) + hosts;
    if (total === 0) this.#load.delete(partition);
    else this.#load.set(partition, total);
  }
}
