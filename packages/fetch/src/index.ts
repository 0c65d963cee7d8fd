export {
  type AddressAllowance,
  AddressPolicy,
  type AddressRefusal,
  describeRefusal,
} from './address-safety.ts';
export {
  defaultRetryable,
  FetchError,
  type FetchErrorClass,
  type FetchErrorDetails,
  UnsafeAddressError,
  UnsupportedSchemeError,
} from './errors.ts';
export { HttpFetcher } from './fetcher.ts';
export { classifyStatus, type StatusClassification } from './http-status.ts';
export {
  type BodyPredicate,
  DEFAULT_ACCEPT,
  DEFAULT_USER_AGENT,
  type FetchRequestOptions,
  type FetchResponse,
  type FetchTimings,
  type HttpFetcherOptions,
  type RedirectCheck,
} from './options.ts';
export type { RedirectHop } from './redirects.ts';
export { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.ts';
export { RobotsCache, type RobotsCacheOptions } from './robots.ts';
export type { RobotsRules, RobotsSource } from './robots-rules.ts';
export { type LookupFunction, systemLookup } from './safe-lookup.ts';
