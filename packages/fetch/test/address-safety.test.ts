import type { LookupAddress } from 'node:dns';
import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { AddressPolicy, FetchError, UnsafeAddressError } from '../src/index.ts';
import { safeLookup } from '../src/safe-lookup.ts';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['2002:7f00:1::1', 'reserved'],
    ['not-an-ip', 'not an IP address'],
  ])('refuses %s (%s)', (address, range) => {
    expect(policy.refusedRange(address)).toBe(range);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows the public address %s', (address) => {
    expect(policy.refusedRange(address)).toBeUndefined();
  });

  it('opens exactly the listed addresses and CIDRs', () => {
    const allowing = new AddressPolicy({ addresses: ['127.0.0.2/32', '10.1.0.0/16', '::1'] });
    expect(allowing.refusedRange('127.0.0.2')).toBeUndefined();
    expect(allowing.refusedRange('::ffff:127.0.0.2')).toBeUndefined();
    expect(allowing.refusedRange('127.0.0.3')).toBe('loopback');
    expect(allowing.refusedRange('10.1.200.3')).toBeUndefined();
    expect(allowing.refusedRange('10.2.0.1')).toBe('private');
    expect(allowing.refusedRange('::1')).toBeUndefined();
  });

  it('opens private-use ranges with privateNetworks, but not loopback or link-local', () => {
    const intranet = new AddressPolicy({ privateNetworks: true });
    for (const address of ['10.0.0.1', '172.20.1.1', '192.168.0.10', '100.64.3.3', 'fd00::5']) {
      expect(intranet.refusedRange(address)).toBeUndefined();
    }
    expect(intranet.refusedRange('127.0.0.1')).toBe('loopback');
    expect(intranet.refusedRange('169.254.169.254')).toBe('link-local');
    expect(intranet.refusedRange('0.0.0.0')).toBe('unspecified');
  });

  it('rejects an allowance that is not an IP or CIDR', () => {
    expect(() => new AddressPolicy({ addresses: ['localhost'] })).toThrow(KraulError);
    expect(() => new AddressPolicy({ addresses: ['10.0.0.0/33'] })).toThrow(/not an IP address or CIDR/);
  });
});

describe('safeLookup', () => {
  function lookupWith(addresses: LookupAddress[], policy = new AddressPolicy()) {
    const lookup = safeLookup(policy, async () => addresses);
    return (options: { all?: boolean; family?: number }) =>
      new Promise<{ error: unknown; address: unknown; family: unknown }>((resolve) => {
        lookup('host.test', options, (error, address, family) => resolve({ error, address, family }));
      });
  }

  it('hands out safe addresses in the form net asks for', async () => {
    const lookup = lookupWith([
      { address: '2606:4700::1', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ]);
    expect(await lookup({ all: true })).toMatchObject({
      error: null,
      address: [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
    expect(await lookup({})).toMatchObject({ error: null, address: '2606:4700::1', family: 6 });
    expect(await lookup({ family: 4 })).toMatchObject({ error: null, address: '93.184.216.34', family: 4 });
  });

  it('refuses a host when any of its addresses is refused', async () => {
    const { error } = await lookupWith([
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ])({ all: true });
    expect(error).toBeInstanceOf(UnsafeAddressError);
    expect(error).toMatchObject({ host: 'host.test', address: '10.0.0.1', range: 'private' });
  });

  it('turns resolver failures and empty answers into dns errors', async () => {
    const failing = safeLookup(new AddressPolicy(), async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    });
    const failed = await new Promise<unknown>((resolve) =>
      failing('nowhere.test', {}, (error) => resolve(error)),
    );
    expect(failed).toBeInstanceOf(FetchError);
    expect(failed).toMatchObject({ errorClass: 'dns', retryable: true });
    expect((failed as FetchError).context.dnsCode).toBe('ENOTFOUND');

    const { error } = await lookupWith([{ address: '93.184.216.34', family: 4 }])({ family: 6 });
    expect(error).toMatchObject({ errorClass: 'dns' });
  });
});
