import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The process listening on the broker's port on this machine (Linux /proc), or undefined when
 * the broker is elsewhere or cannot be seen. Its CPU is the broker's share of a crawl through
 * Kafka (with whatever else uses the broker meanwhile).
 */
export function brokerPid(broker: string): number | undefined {
  const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
  if (!Number.isInteger(port)) return undefined;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; field 9 is the socket's inode.
      if (fields.length > 9 && fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port)
        inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  return undefined;
}

const pids = new Map<string, number | undefined>();

/** The broker process's CPU so far, in µs, or undefined when it cannot be seen. */
export function brokerCpuMicros(broker: string): number | undefined {
  if (!pids.has(broker)) pids.set(broker, brokerPid(broker));
  const pid = pids.get(broker);
  if (pid === undefined) return undefined;
  try {
    return processCpuMicros(pid);
  } catch {
    return undefined;
  }
}

/** User + system CPU of a live process, from /proc (Linux), in µs. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
