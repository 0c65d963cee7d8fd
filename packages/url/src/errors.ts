import { KraulError } from '@kraul/protocol';

/** Inputs are echoed into error context for diagnosis, but a hostile page can hold megabyte-long hrefs. */
const MAX_ECHOED_INPUT = 200;

export function truncateForContext(value: string): string {
  return value.length > MAX_ECHOED_INPUT ? value.slice(0, MAX_ECHOED_INPUT) : value;
}

/** The input (resolved against `base`, if given) is not a URL the WHATWG parser accepts. */
export class InvalidUrlError extends KraulError {
  constructor(input: string, base: string | URL | undefined) {
    super('url.invalid', 'Not a valid URL', {
      input: truncateForContext(input),
      base: base === undefined ? undefined : truncateForContext(String(base)),
    });
  }
}

/** The URL parses but is not http: or https: (javascript:, mailto:, data:, ftp:, file:, ...). */
export class UnsupportedSchemeError extends KraulError {
  /** `scheme` without its colon: `javascript`, `mailto`. */
  constructor(input: string, scheme: string) {
    super('url.unsupported_scheme', `Unsupported URL scheme ${scheme}:`, {
      input: truncateForContext(input),
      scheme,
    });
  }
}

/** The normalised URL is longer than the configured maximum. */
export class UrlTooLongError extends KraulError {
  constructor(input: string, length: number, maxLength: number) {
    super('url.too_long', `URL is ${length} characters long, the maximum is ${maxLength}`, {
      input: truncateForContext(input),
      length,
      maxLength,
    });
  }
}

/** Host key mode 'ip' was asked for a named host without the address it resolved to. */
export class UnresolvedHostError extends KraulError {
  constructor(hostname: string) {
    super('url.host_unresolved', `Host key mode 'ip' needs the resolved address of ${hostname}`, {
      hostname,
    });
  }
}

/** A resolved address handed to `hostKey` is not an IPv4 or IPv6 literal. */
export class InvalidAddressError extends KraulError {
  constructor(address: string) {
    super('url.invalid_address', 'Not an IP address', { address: truncateForContext(address) });
  }
}

/** A partition count that is not a positive 32-bit integer. */
export class InvalidPartitionCountError extends KraulError {
  constructor(partitions: number) {
    super('url.invalid_partition_count', 'Partition count must be a positive integer', { partitions });
  }
}
