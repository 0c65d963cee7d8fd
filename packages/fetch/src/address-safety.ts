import { BlockList, isIP } from 'node:net';
import { KraulError } from '@kraul/protocol';

/** Exceptions to the address rules, per fetcher (a job that crawls an intranet gets its own fetcher). */
export interface AddressAllowance {
  /**
   * Allow private, loopback and link-local addresses: 10/8, 172.16/12, 192.168/16, shared
   * (CGNAT) 100.64/10, 127/8, 169.254/16, and IPv6 unique-local fc00::/7, ::1 and fe80::/10.
   * Cloud metadata endpoints (169.254.169.254 and the like) stay refused, since a page that
   * reaches one can read the machine's credentials; so do unspecified, multicast, documentation
   * and reserved ranges. Any of them is opened only by listing it in `addresses`.
   * Default: false.
   */
  privateNetworks?: boolean;
  /** Exact IPs or CIDRs allowed whatever their range, e.g. `['127.0.0.2/32', '::1']`. Default: none. */
  addresses?: readonly string[];
}

type Family = 'ipv4' | 'ipv6';

/** Why an address is refused, and what would allow it. */
export interface AddressRefusal {
  /** The kind of range, e.g. `loopback`, `private`, `cloud metadata`. */
  range: string;
  /**
   * The address judged: an IPv4 address wrapped in IPv6 (`::ffff:127.0.0.1`) is judged as the
   * IPv4 address, so that is also the one an allowance has to name.
   */
  address: string;
  /** Whether `privateNetworks: true` would allow it. */
  openedByPrivateNetworks: boolean;
}

/** Range kinds that `privateNetworks: true` opens; every other kind needs an explicit address. */
const PRIVATE_KINDS = new Set(['private', 'shared address space (CGNAT)', 'loopback', 'link-local']);

/** What `refusal` says of a host name that is not an IP address (a resolver's odd answer). */
const NOT_AN_IP = 'not an IP address';

// IANA special-purpose registries (RFC 6890 and successors). Order matters only for the
// name reported: the more specific kinds come before the catch-all `reserved` entries.
const REFUSED_RANGES: ReadonlyArray<readonly [kind: string, family: Family, net: string, prefix: number]> = [
  // Instance metadata services, inside ranges `privateNetworks` opens: they come first so they
  // are named (and kept refused) as what they are.
  ['cloud metadata', 'ipv4', '169.254.169.254', 32], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  ['cloud metadata', 'ipv4', '169.254.170.2', 32], // AWS ECS task metadata and credentials
  ['cloud metadata', 'ipv4', '169.254.170.23', 32], // AWS EKS pod identity credentials
  ['cloud metadata', 'ipv4', '100.100.100.200', 32], // Alibaba Cloud
  ['cloud metadata', 'ipv4', '192.0.0.192', 32], // Oracle Cloud (legacy)
  ['cloud metadata', 'ipv6', 'fd00:ec2::254', 128], // AWS IPv6
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
  readonly #privateNetworks: boolean;

  constructor(allow: AddressAllowance = {}) {
    const lists = new Map<string, { kind: string; family: Family; list: BlockList }>();
    this.#privateNetworks = allow.privateNetworks === true;
    for (const [kind, family, net, prefix] of REFUSED_RANGES) {
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
    return this.refusal(address)?.range;
  }

  /** Why `address` is refused and what would allow it, or undefined when it may be connected to. */
  refusal(address: string): AddressRefusal | undefined {
    const ip = stripZone(address);
    const version = isIP(ip);
    if (version === 0) return { range: NOT_AN_IP, address: ip, openedByPrivateNetworks: false };
    if (version === 6) {
      // An IPv4 address wrapped in IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d) reaches the
      // IPv4 host, so it is judged as that host, including the allowance.
      const embedded = embeddedIpv4(ip);
      if (embedded !== undefined) return this.refusal(embedded);
    }
    const family: Family = version === 4 ? 'ipv4' : 'ipv6';
    if (this.#allowed[family].check(ip, family)) return undefined;
    // The most specific range decides: ::1 is loopback (opened with private networks) although
    // it also lies in the reserved ::/8, and fd00:ec2::254 is metadata although unique-local.
    const kind = this.#refused.find((entry) => entry.family === family && entry.list.check(ip, family))?.kind;
    if (kind === undefined) return undefined;
    const openedByPrivateNetworks = PRIVATE_KINDS.has(kind);
    if (openedByPrivateNetworks && this.#privateNetworks) return undefined;
    return { range: kind, address: ip, openedByPrivateNetworks };
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

/**
 * Says what an address is and which setting would allow it, in the words of kraul's job flags
 * (`--allow-private` is `privateNetworks`, `--allow-address` is `addresses`).
 */
export function describeRefusal(refusal: AddressRefusal): string {
  if (refusal.range === NOT_AN_IP) return `${refusal.address} is not an IP address`;
  const article = /^[aeiou]/.test(refusal.range) ? 'an' : 'a';
  const what = `${refusal.address} is ${article} ${refusal.range} address`;
  const exact = `--allow-address ${refusal.address}`;
  if (refusal.openedByPrivateNetworks) return `${what}; allow it with --allow-private or ${exact}`;
  if (refusal.range === 'cloud metadata')
    return `${what}, refused even with --allow-private; allow it with ${exact}`;
  return `${what}; allow it with ${exact}`;
}

/** The address in a URL host when the host is an IP literal (`[::1]` included), else undefined. */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}
