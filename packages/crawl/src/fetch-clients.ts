import { HttpFetcher, type HttpFetcherOptions, type LookupFunction, RobotsCache } from '@kraul/fetch';
import type { Job } from '@kraul/protocol';
import { AddressCheck } from './address-check.ts';

export interface FetchClients {
  fetcher: HttpFetcher;
  robots: RobotsCache;
  /** The same address rules as the fetcher's, asked before a host's first request. */
  addresses: AddressCheck;
}

export interface FetchClientSettings {
  userAgent: string;
  /** The product token robots.txt groups are matched against. */
  robotsToken: string;
  fetcher: Omit<HttpFetcherOptions, 'userAgent' | 'allow' | 'lookup' | 'bodyFor'>;
  lookup?: LookupFunction;
}

/**
 * One fetcher (connection pool) and robots cache per distinct safety setting: jobs that
 * allow the same private addresses share them; a job never gets another job's allowances.
 */
export class FetchClientPool {
  readonly #settings: FetchClientSettings;
  readonly #clients = new Map<string, FetchClients>();

  constructor(settings: FetchClientSettings) {
    this.#settings = settings;
  }

  for(job: Job): FetchClients {
    const safety = job.settings.safety;
    const key = JSON.stringify([safety.allowPrivateNetworks, [...safety.allowedAddresses].sort()]);
    let clients = this.#clients.get(key);
    if (!clients) {
      const allow = { privateNetworks: safety.allowPrivateNetworks, addresses: safety.allowedAddresses };
      const fetcher = new HttpFetcher({
        ...this.#settings.fetcher,
        userAgent: this.#settings.userAgent,
        allow,
        ...(this.#settings.lookup ? { lookup: this.#settings.lookup } : {}),
      });
      clients = {
        fetcher,
        robots: new RobotsCache({ fetcher, userAgentToken: this.#settings.robotsToken }),
        addresses: new AddressCheck(allow, this.#settings.lookup),
      };
      this.#clients.set(key, clients);
    }
    return clients;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((clients) => clients.fetcher.close()));
    this.#clients.clear();
  }
}
