import { isIP } from 'node:net';
import {
  type AddressAllowance,
  AddressPolicy,
  type LookupFunction,
  systemLookup,
  UnsafeAddressError,
} from '@kraul/fetch';

/**
 * Says, before a host's robots.txt is asked for, whether the host is one the job may not
 * reach. The fetcher refuses such an address on every connection anyway, robots.txt included;
 * asking first is what lets the page be reported as `unsafe_address` rather than as disallowed
 * by a robots.txt that could not be fetched.
 */
export class AddressCheck {
  readonly #policy: AddressPolicy;
  readonly #lookup: LookupFunction;

  constructor(allow: AddressAllowance, lookup: LookupFunction = systemLookup) {
    this.#policy = new AddressPolicy(allow);
    this.#lookup = lookup;
  }

  /**
   * Rejects with an `UnsafeAddressError` when the URL's host is, or resolves to, a refused
   * address. A name that does not resolve passes: the fetch reports that in its own words.
   */
  async assertAllowed(url: URL): Promise<void> {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: string[];
    if (isIP(host) !== 0) {
      addresses = [host];
    } else {
      try {
        addresses = (await this.#lookup(host)).map((entry) => entry.address);
      } catch {
        return;
      }
    }
    for (const address of addresses) {
      const refusal = this.#policy.refusal(address);
      if (refusal !== undefined) throw new UnsafeAddressError(url.href, url.hostname, address, refusal);
    }
  }
}
