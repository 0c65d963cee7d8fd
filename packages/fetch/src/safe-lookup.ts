import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction as NetLookup } from 'node:net';
import type { AddressPolicy } from './address-safety.ts';
import { FetchError, UnsafeAddressError } from './errors.ts';

/** Resolves a hostname to all its addresses. Tests inject one that maps names to loopback. */
export type LookupFunction = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemLookup: LookupFunction = (hostname) => dns.lookup(hostname, { all: true });

/**
 * A `lookup` for `net.connect` that refuses to hand out any address the policy refuses, so
 * the check happens after DNS and before the socket connects, on every new connection.
 * A host with one refused address among several is refused as a whole: a mix of public and
 * private answers is a misconfiguration at best and DNS rebinding at worst.
 * Errors carry no URL (one connection serves many requests); the fetcher adds it.
 */
export function safeLookup(policy: AddressPolicy, resolve: LookupFunction): NetLookup {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const refusal = policy.refusal(address);
          if (refusal !== undefined) {
            callback(new UnsafeAddressError('', hostname, address, refusal), '');
            return;
          }
        }
        const wanted = familyNumber(options.family);
        const usable = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
        const first = usable[0];
        if (first === undefined) {
          callback(
            new FetchError('dns', `no usable address for ${hostname}`, {
              url: '',
              context: { host: hostname },
            }),
            '',
          );
        } else if (options.all) {
          callback(null, [...usable]);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        callback(
          new FetchError('dns', `could not resolve ${hostname}: ${reason}`, {
            url: '',
            cause: error,
            context: { host: hostname, dnsCode: (error as { code?: unknown } | null)?.code },
          }),
          '',
        );
      },
    );
  };
}

function familyNumber(family: number | string | undefined): number {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
