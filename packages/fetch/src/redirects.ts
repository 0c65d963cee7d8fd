import { FetchError, UnsupportedSchemeError } from './errors.ts';

/** One redirect followed: the URL that answered and its status. */
export interface RedirectHop {
  url: string;
  status: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Parses `input` (against `base`, for Location headers) into an http(s) URL without its
 * fragment, which never goes on the wire. `requestedUrl` is what errors report.
 */
export function httpUrl(input: string, requestedUrl: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch (cause) {
    const what = base === undefined ? 'URL' : `redirect Location "${input}"`;
    throw new FetchError('protocol', `invalid ${what} for ${requestedUrl}`, { url: requestedUrl, cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsupportedSchemeError(requestedUrl, url.href, url.protocol.slice(0, -1));
  }
  url.hash = '';
  return url;
}

/** The redirects of one fetch: where it has been, so it can refuse loops and long chains. */
export class RedirectChain {
  readonly hops: RedirectHop[] = [];
  readonly #requestedUrl: string;
  readonly #maxRedirects: number;
  readonly #seen = new Set<string>();

  constructor(requestedUrl: string, first: URL, maxRedirects: number) {
    this.#requestedUrl = requestedUrl;
    this.#maxRedirects = maxRedirects;
    this.#seen.add(first.href);
  }

  /**
   * Where a response sends the fetch next, or undefined when the response is the final one
   * (not a redirect status, or a redirect without Location). Throws on a bad target, a URL
   * already visited in this chain, or one redirect more than allowed.
   */
  next(current: URL, status: number, location: string | undefined): URL | undefined {
    if (!REDIRECT_STATUSES.has(status) || location === undefined || location.trim() === '') return undefined;
    const target = httpUrl(location.trim(), this.#requestedUrl, current);
    const context = { from: current.href, target: target.href, redirects: this.hops.length + 1 };
    if (this.#seen.has(target.href)) {
      throw new FetchError('redirect_loop', `redirect loop: ${current.href} sends back to ${target.href}`, {
        url: this.#requestedUrl,
        context,
      });
    }
    if (this.hops.length >= this.#maxRedirects) {
      throw new FetchError(
        'too_many_redirects',
        `more than ${this.#maxRedirects} redirects from ${this.#requestedUrl}`,
        {
          url: this.#requestedUrl,
          context,
        },
      );
    }
    this.hops.push({ url: current.href, status });
    this.#seen.add(target.href);
    return target;
  }
}
