import { isIPv4, isIPv6 } from 'node:net';
import { KraulError } from '@kraul/protocol';
import { getDomain } from 'tldts';
import {
  InvalidAddressError,
  InvalidUrlError,
  UnresolvedHostError,
  UnsupportedSchemeError,
} from './errors.ts';
import { withoutTrailingDots } from './hostname.ts';

/**
 * What a URL's host key (its Kafka record key, hence its partition and politeness unit) is made of:
 * - `hostname`: the host itself, so each host gets its own queue and delay;
 * - `domain`: the registrable domain (ICANN public suffixes only), so `a.example.co.uk` and
 *   `b.example.co.uk` share one queue;
 * - `ip`: the address the host resolved to, so virtual hosts on one server share one queue.
 */
export type HostKeyMode = 'hostname' | 'domain' | 'ip';

const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const DOMAIN_OPTIONS = {
  // Private suffixes (github.io, blogspot.com, ...) are left out on purpose: all their sites share
  // one operator's servers, and politeness toward that operator is what the key is for.
  allowPrivateDomains: false,
  extractHostname: false,
} as const;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

/** Lower-case letters, digits, hyphen and dot: hosts made only of these come out of the WHATWG host parser unchanged (bar IPv4 and punycode forms). */
function isPlainHostChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || isDigit(code) || code === 0x2d || code === DOT;
}

function isPathStart(code: number): boolean {
  return code === 0x2f || code === 0x3f || code === 0x23 || Number.isNaN(code); // / ? # or the end
}

/** Whether `url[start..]` is a port of 1 to 5 digits up to 65535 followed by the path (or the end). */
function isPlainPort(url: string, start: number): boolean {
  let port = 0;
  let index = start;
  for (; index < url.length && index - start < 5 && isDigit(url.charCodeAt(index)); index++) {
    port = port * 10 + url.charCodeAt(index) - DIGIT_0;
  }
  return index > start && port <= 65_535 && isPathStart(url.charCodeAt(index));
}

/**
 * The origin (`scheme://host[:port]`) of a normalised http(s) URL, read from the string: what
 * `new URL(url).origin` gives for it, without parsing. Undefined for anything not http(s). A
 * URL that is not normalised gets its authority as written (upper case, default port kept).
 */
export function normalizedOrigin(url: string): string | undefined {
  let index: number;
  if (url.startsWith('https://')) index = 8;
  else if (url.startsWith('http://')) index = 7;
  else return undefined;
  while (index < url.length && !isPathStart(url.charCodeAt(index))) index++;
  return url.slice(0, index);
}

/**
 * The hostname of an already normalised URL read straight from the string, or undefined when
 * the URL parser has to decide (upper case, credentials, IP literals, punycode, trailing dot,
 * an unusual port, anything unusual). Accepts only hosts the parser would return verbatim.
 */
function plainHostname(url: string): string | undefined {
  let start: number;
  if (url.startsWith('https://')) start = 8;
  else if (url.startsWith('http://')) start = 7;
  else return undefined;
  let end = start;
  let lastLabelStart = start;
  for (; end < url.length; end++) {
    const code = url.charCodeAt(end);
    if (isPathStart(code)) break;
    if (code === 0x3a) {
      // A port does not change the hostname; one the parser would refuse sends the URL to it.
      if (!isPlainPort(url, end + 1)) return undefined;
      break;
    }
    if (!isPlainHostChar(code)) return undefined;
    if (code === DOT) lastLabelStart = end + 1;
  }
  // An empty or dot-final host needs the parser.
  if (lastLabelStart === end) return undefined;
  const hostname = url.slice(start, end);
  // A last label starting with a digit is an IPv4 literal in some notation, or invalid. Strict
  // dotted decimal (`isIPv4`: four parts of 0-255, no leading zeros) is the parser's own
  // canonical form; any other notation (`0x7f.1`, `127.1`, `010.0.0.1`) needs the parser.
  if (isDigit(url.charCodeAt(lastLabelStart))) return isIPv4(hostname) ? hostname : undefined;
  return hostname.includes('xn--') ? undefined : hostname;
}

function hostnameOfUrl(url: URL, input: string): string {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UnsupportedSchemeError(input, url.protocol.slice(0, -1));
  const hostname = url.hostname;
  if (hostname.charCodeAt(0) === 0x5b) return hostname.slice(1, -1); // [IPv6]
  const stripped = withoutTrailingDots(hostname);
  if (stripped === '') throw new InvalidUrlError(input, undefined);
  return stripped;
}

function hostnameOf(url: string | URL): string {
  if (typeof url !== 'string') return hostnameOfUrl(url, url.href);
  const plain = plainHostname(url);
  if (plain !== undefined) return plain;
  const parsed = URL.parse(url);
  if (parsed === null) throw new InvalidUrlError(url, undefined);
  return hostnameOfUrl(parsed, url);
}

function isIpLiteral(hostname: string): boolean {
  return hostname.includes(':') || isIPv4(hostname);
}

/** The address in the form the URL parser gives IP literals, so 'ip' keys match 'hostname' keys of IP URLs. */
function canonicalAddress(address: string): string {
  const bare = address.charCodeAt(0) === 0x5b && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return bare;
  if (isIPv6(bare)) {
    const parsed = URL.parse(`http://[${bare}]/`);
    if (parsed !== null) return parsed.hostname.slice(1, -1);
  }
  throw new InvalidAddressError(address);
}

/**
 * The record key that decides a URL's partition, hence which frontier shard and crawler
 * worker own it and whose politeness delay applies.
 *
 * Keys are lower-case, punycode, without port or trailing dot. IP literals appear as the URL
 * parser canonicalises them: IPv4 dotted decimal, IPv6 compressed lower-case WITHOUT brackets
 * (`::1`), the same form `ip` mode gives a resolved address. In `domain` mode, hosts without a
 * registrable domain (IPs, `localhost`, a bare public suffix) fall back to the hostname. In `ip`
 * mode `resolvedAddress` is used when given; without it only IP-literal hosts have a key.
 *
 * Cheapest with a normalised URL string (the hostname is then sliced out without parsing).
 *
 * @throws InvalidUrlError, UnsupportedSchemeError for URLs that are not http(s);
 *   UnresolvedHostError (`url.host_unresolved`) in `ip` mode for a named host without `resolvedAddress`;
 *   InvalidAddressError (`url.invalid_address`) when `resolvedAddress` is not an IP address
 */
export function hostKey(url: string | URL, mode: HostKeyMode = 'hostname', resolvedAddress?: string): string {
  const hostname = hostnameOf(url);
  switch (mode) {
    case 'hostname':
      return hostname;
    case 'domain':
      return isIpLiteral(hostname) ? hostname : (getDomain(hostname, DOMAIN_OPTIONS) ?? hostname);
    case 'ip':
      if (resolvedAddress !== undefined) return canonicalAddress(resolvedAddress);
      if (isIpLiteral(hostname)) return hostname;
      throw new UnresolvedHostError(hostname);
    default:
      throw new KraulError('url.invalid_host_key_mode', `Unknown host key mode ${String(mode)}`, { mode });
  }
}
