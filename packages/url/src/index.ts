export {
  InvalidAddressError,
  InvalidPartitionCountError,
  InvalidUrlError,
  UnresolvedHostError,
  UnsupportedSchemeError,
  UrlTooLongError,
} from './errors.ts';
export { fingerprint } from './fingerprint.ts';
export { type HostKeyMode, hostKey, normalizedOrigin } from './host-key.ts';
export { murmur2 } from './murmur2.ts';
export { DEFAULT_MAX_URL_LENGTH, type NormalizeOptions, normalizeUrl, tryNormalizeUrl } from './normalize.ts';
export { murmur2Utf8, partitionForKey } from './partition.ts';
export type { ParamMatchers } from './query.ts';
export { TRACKING_PARAMS } from './tracking-params.ts';
