import type dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname,
  });
}

/**
 * A `dns.lookup` replacement that knows only the given names (and IP literals, which it
 * returns as they are). Everything else fails with ENOTFOUND, so no query ever leaves the
 * machine. Answers asynchronously, as `dns.lookup` does.
 */
export function createLookup(resolve: (hostname: string) => string | undefined): typeof dns.lookup {
  const lookup = (hostname: string, optionsOrCallback: unknown, maybeCallback?: unknown): void => {
    const callback = (
      typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback
    ) as LookupCallback;
    const options =
      typeof optionsOrCallback === 'number'
        ? { family: optionsOrCallback }
        : typeof optionsOrCallback === 'object' && optionsOrCallback !== null
          ? (optionsOrCallback as dns.LookupOptions)
          : {};
    const literalFamily = isIP(hostname);
    const address = literalFamily !== 0 ? hostname : resolve(hostname.toLowerCase());
    const family = literalFamily !== 0 ? literalFamily : 4;
    const wanted = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    process.nextTick(() => {
      if (address === undefined || (wanted !== 0 && wanted !== family)) callback(notFound(hostname), '');
      else if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    });
  };
  // dns.lookup is a set of overloads; this one function serves all of them.
  return lookup as unknown as typeof dns.lookup;
}
