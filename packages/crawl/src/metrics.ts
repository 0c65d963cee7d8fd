import type { MetricsRegistry } from '@kraul/telemetry';

export function crawlerMetrics(m: MetricsRegistry) {
  return {
    fetches: m.counter('crawler_fetches_total', 'Fetches by outcome: status class (2xx...) or error class', [
      'outcome',
    ]),
    bytes: m.counter('crawler_bytes_total', 'Body bytes received on the wire'),
    links: m.counter('crawler_links_total', 'Links extracted'),
    duration: m.histogram(
      'crawler_fetch_duration_seconds',
      'Time per fetch, redirects and body included',
      [],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
    politenessWait: m.histogram(
      'crawler_politeness_wait_seconds',
      'Time a fetch request waited in its host queue',
      [],
      [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    ),
    inFlight: m.gauge('crawler_in_flight', 'Fetches running'),
    queued: m.gauge('crawler_queued', 'Fetch requests waiting in host queues'),
    pausedPartitions: m.gauge(
      'crawler_paused_partitions',
      'Assigned partitions paused because their buffer is full',
    ),
    hostQueue: m.gauge(
      'crawler_host_queue_depth',
      'Fetch requests waiting per host, for the 10 hosts with the longest queues (bounded label set)',
      ['host'],
    ),
    hosts: m.gauge('crawler_hosts', 'Hosts with requests queued, running or waiting out their delay'),
    deadLetters: m.counter(
      'crawler_dead_letters_total',
      'Invalid fetch requests sent to the dead-letter topic',
    ),
  };
}
