import { BlockList, isIP } from 'node:net';
import { KraulError } from '@kraul/protocol';

/** Exceptions to the address rules, per fetcher (a job that crawls an intranet gets its own fetcher). */
export interface AddressAllowance {
  /**
   * Allow the private-use ranges: 10/8, 172.16/12, 192.168/16, shared (CGNAT) 100.64/10 and
   * IPv6 unique-local fc00::/7. Loopback, link-local (including the 169.254.169.254 cloud
   * metadata address), multicast and reserved ranges stay refused unless listed in `addresses`.
   * Default: false.
   */
  privateNetworks?: boolean;
  /** Exact IPs or CIDRs allowed whatever their range, e.g. `['127.0.0.2/32', '::1']`. Default: none. */
  addresses?: readonly string[];
}

type Family = 'ipv4' | 'ipv6';

/** Range kinds that `privateNetworks: true` opens; every other kind needs an explicit address. */
const PRIVATE_KINDS = new Set(['private', 'shared address space (CGNAT)']);

// IANA special-purpose registries (RFC 6890 and successors). Order matters only for the
// name reported: the more specific kinds come before the catch-all `reserved` entries.
const REFUSED_RANGES: ReadonlyArray<readonly [kind: string, family: Family, net: string, prefix: number]> = [
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['shared address space (CGNAT)', 'ipv4', '100.64.0.0', 10],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['documentation', 'ipv4', '192.0.2.0', 24],
  ['documentation', 'ipv4', '198.51.100.0', 24],
  ['documentation', 'ipv4', '203.0.113.0', 24],
  ['benchmarking', 'ipv4', '198.18.0.0', 15],
  ['reserved', 'ipv4', '192.88.99.0', 24],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
  ['reserved', 'ipv6', 'fec0::', 10],
  ['documentation', 'ipv6', '2001:db8::', 32],
  ['documentation', 'ipv6', '3fff::', 20],
  ['reserved', 'ipv6', '2001::', 23],
  // 6to4 tunnels to an embedded IPv4 address of the relay's choosing.
  ['reserved', 'ipv6', '2002::', 16],
  ['reserved', 'ipv6', '100::', 64],
  // IPv4-compatible and other ::/8 forms; mapped and NAT64 addresses are unwrapped first.
  ['reserved', 'ipv6', '::', 8],
];

/**
 * Decides which addresses the fetcher may connect to. Everything in a special-purpose
 * range is refused unless the allowance opens it.
 */
export class AddressPolicy {
  // One list per kind and family: a BlockList also matches IPv4 addresses against IPv6 rules
  // (as ::ffff:a.b.c.d), which would put every IPv4 address inside ::/8.
  readonly #refused: ReadonlyArray<{ kind: string; family: Family; list: BlockList }>;
  readonly #allowed: Readonly<Record<Family, BlockList>> = { ipv4: new BlockList(), ipv6: new BlockList() };

  constructor(allow: AddressAllowance = {}) {
    const lists = new Map<string, { kind: string; family: Family; list: BlockList }>();
    for (const [kind, family, net, prefix] of REFUSED_RANGES) {
      if (allow.privateNetworks && PRIVATE_KINDS.has(kind)) continue;
      const key = `${family} ${kind}`;
      let entry = lists.get(key);
      if (!entry) {
        entry = { kind, family, list: new BlockList() };
        lists.set(key, entry);
      }
      entry.list.addSubnet(net, prefix, family);
    }
    this.#refused = [...lists.values()];
    for (const entry of allow.addresses ?? []) addAllowed(this.#allowed, entry);
  }

  /** The name of the refused range `address` falls in, or undefined when it may be connected to. */
  refusedRange(address: string): string | undefined {
    const ip = stripZone(address);
    const version = isIP(ip);
    if (version === 0) return 'not an IP address';
    if (version === 6) {
      // An IPv4 address wrapped in IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d) reaches the
      // IPv4 host, so it is judged as that host, including the allowance.
      const embedded = embeddedIpv4(ip);
      if (embedded !== undefined) return this.refusedRange(embedded);
    }
    const family: Family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.#allowed[family].check(ip, family)) return undefined;
    return this.#refused.find((entry) => entry.family === family && entry.list.check(ip, family))?.kind;
  }
}

function addAllowed(lists: Readonly<Record<Family, BlockList>>, entry: string): void {
  const [ip = '', prefixText] = entry.split('/');
  const family = isIP(ip);
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new KraulError('fetch.invalid_option', `allow.addresses: "${entry}" is not an IP address or CIDR`, {
      field: 'allow.addresses',
      value: entry,
    });
  }
  const type: Family = family === 4 ? 'ipv4' : 'ipv6';
  lists[type].addSubnet(ip, prefix, type);
}

function stripZone(address: string): string {
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address. */
function embeddedIpv4(ipv6: string): string | undefined {
  const h = ipv6Hextets(ipv6);
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 5) && h[5] === 0xffff;
  const nat64 = h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6);
  if (!mapped && !nat64) return undefined;
  const hi = h[6] ?? 0;
  const lo = h[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** The eight 16-bit groups of a valid IPv6 address (dotted-quad tails included). */
function ipv6Hextets(ipv6: string): number[] {
  // The URL parser canonicalises every IPv6 spelling to compressed hex without a dotted quad.
  const canonical = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  if (tail === undefined) return front;
  const back = groups(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** The address in a URL host when the host is an IP literal (`[::1]` included), else undefined. */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}
