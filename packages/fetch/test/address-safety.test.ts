import type { LookupAddress } from 'node:dns';
import { KraulError } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { AddressPolicy, describeRefusal, FetchError, UnsafeAddressError } from '../src/index.ts';
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
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.170.2', 'cloud metadata'],
    ['100.100.100.200', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
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
    ['64:ff9b::169.254.169.254', 'cloud metadata'],
    ['::ffff:169.254.10.10', 'link-local'],
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

  it('opens private, loopback and link-local ranges with privateNetworks, but not cloud metadata', () => {
    const intranet = new AddressPolicy({ privateNetworks: true });
    for (const address of [
      '10.0.0.1',
      '172.20.1.1',
      '192.168.0.10',
      '100.64.3.3',
      'fd00::5',
      '127.0.0.1',
      '127.0.0.7',
      '::1',
      '::ffff:127.0.0.1',
      '169.254.1.1',
      'fe80::1',
    ]) {
      expect(intranet.refusedRange(address), address).toBeUndefined();
    }
    for (const address of ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']) {
      expect(intranet.refusedRange(address), address).toBe('cloud metadata');
    }
    expect(intranet.refusedRange('::ffff:169.254.169.254')).toBe('cloud metadata');
    expect(intranet.refusedRange('0.0.0.0')).toBe('unspecified');
    expect(intranet.refusedRange('224.0.0.251')).toBe('multicast');
    expect(intranet.refusedRange('192.0.2.10')).toBe('documentation');
  });

  it('opens a cloud metadata address only when it is listed', () => {
    const listed = new AddressPolicy({ privateNetworks: true, addresses: ['169.254.169.254'] });
    expect(listed.refusedRange('169.254.169.254')).toBeUndefined();
    expect(listed.refusedRange('169.254.170.2')).toBe('cloud metadata');
  });

  it('says what would allow a refused address', () => {
    const policy = new AddressPolicy();
    expect(policy.refusal('127.0.0.1')).toEqual({
      range: 'loopback',
      address: '127.0.0.1',
      openedByPrivateNetworks: true,
    });
    // A wrapped IPv4 address is judged, and so must be allowed, as the IPv4 address.
    expect(policy.refusal('::ffff:127.0.0.1')).toMatchObject({ address: '127.0.0.1' });
    expect(policy.refusal('169.254.169.254')).toMatchObject({ openedByPrivateNetworks: false });
    expect(policy.refusal('93.184.216.34')).toBeUndefined();
  });

  it.each([
    [
      '127.0.0.1',
      '127.0.0.1 is a loopback address; allow it with --allow-private or --allow-address 127.0.0.1',
    ],
    ['10.1.2.3', '10.1.2.3 is a private address; allow it with --allow-private or --allow-address 10.1.2.3'],
    ['fe80::1', 'fe80::1 is a link-local address; allow it with --allow-private or --allow-address fe80::1'],
    [
      '169.254.169.254',
      '169.254.169.254 is a cloud metadata address, refused even with --allow-private; allow it with --allow-address 169.254.169.254',
    ],
    ['224.0.0.251', '224.0.0.251 is a multicast address; allow it with --allow-address 224.0.0.251'],
    ['0.0.0.0', '0.0.0.0 is an unspecified address; allow it with --allow-address 0.0.0.0'],
    ['not-an-ip', 'not-an-ip is not an IP address'],
  ])('describes the refusal of %s', (address, text) => {
    expect(describeRefusal(new AddressPolicy().refusal(address)!)).toBe(text);
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
