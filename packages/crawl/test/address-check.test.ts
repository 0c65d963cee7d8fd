import { FetchError } from '@kraul/fetch';
import { describe, expect, it } from 'vitest';
import { AddressCheck } from '../src/address-check.ts';

const lookupOf =
  (table: Record<string, string[]>) =>
  async (hostname: string): Promise<{ address: string; family: number }[]> => {
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

async function refusal(check: AddressCheck, url: string): Promise<FetchError | undefined> {
  try {
    await check.assertAllowed(new URL(url));
    return undefined;
  } catch (error) {
    if (error instanceof FetchError) return error;
    throw error;
  }
}

describe('AddressCheck', () => {
  const lookup = lookupOf({
    'public.example': ['93.184.215.14'],
    'inside.example': ['10.1.2.3'],
    'rebound.example': ['93.184.215.14', '127.0.0.1'],
    'site.test': ['127.0.0.2'],
  });

  it('refuses literal and resolved addresses in special ranges, as unsafe_address', async () => {
    const check = new AddressCheck({}, lookup);
    for (const url of [
      'http://127.0.0.9:1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:8080/',
      'http://inside.example/',
      'http://rebound.example/',
    ]) {
      const error = await refusal(check, url);
      expect(error, url).toBeDefined();
      expect(error!.errorClass).toBe('unsafe_address');
      expect(error!.retryable).toBe(false);
      expect(error!.url).toBe(url);
    }
  });

  it('lets public addresses, allowed addresses and unresolvable names through', async () => {
    const check = new AddressCheck({ addresses: ['127.0.0.2'], privateNetworks: true }, lookup);
    for (const url of [
      'http://public.example/',
      'http://93.184.215.14/',
      'http://site.test:8080/p/0',
      'http://127.0.0.2/',
      'http://inside.example/',
      // The fetch reports a name that does not resolve in its own words (dns).
      'http://nowhere.example/',
    ]) {
      expect(await refusal(check, url), url).toBeUndefined();
    }
    expect((await refusal(check, 'http://127.0.0.3/'))?.errorClass).toBeUndefined();
    expect((await refusal(check, 'http://169.254.169.254/'))?.errorClass).toBe('unsafe_address');
  });
});
