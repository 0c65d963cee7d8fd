/**
 * How a URL is stored in its row (schema version 3 on). The row's host already holds the host
 * key, so a URL that starts with its scheme and that key keeps only the rest, behind a mark
 * for the scheme: `https://www.example.com/a?b` under the key `www.example.com` is stored as
 * `^/a?b`, `http://…` as `~…`. That is a fifth to a third of a typical URL's bytes, on every
 * row the frontier keeps.
 *
 * Any other URL (one whose host key is not its hostname, as in `domain` or `ip` mode, or one
 * with user info) is stored whole. A whole http(s) URL starts with its scheme, a letter, so
 * the two forms never meet, and rows written before version 3 read as they are. Whatever
 * else a caller stores comes back unchanged too: a string that would start with a mark is
 * stored behind `=`.
 */
const HTTPS = 'https://';
const HTTP = 'http://';
const HTTPS_MARK = '^';
const HTTP_MARK = '~';
const WHOLE_MARK = '=';

/** The stored form of `url`, whose host row has the key `hostKey`. */
export function compactUrl(url: string, hostKey: string): string {
  if (url.startsWith(HTTPS) && url.startsWith(hostKey, HTTPS.length)) {
    return HTTPS_MARK + url.slice(HTTPS.length + hostKey.length);
  }
  if (url.startsWith(HTTP) && url.startsWith(hostKey, HTTP.length)) {
    return HTTP_MARK + url.slice(HTTP.length + hostKey.length);
  }
  const first = url.charAt(0);
  return first === HTTPS_MARK || first === HTTP_MARK || first === WHOLE_MARK ? WHOLE_MARK + url : url;
}

/** The URL a row stores as `stored` under the host key `hostKey`. */
export function expandUrl(stored: string, hostKey: string): string {
  switch (stored.charAt(0)) {
    case HTTPS_MARK:
      return HTTPS + hostKey + stored.slice(1);
    case HTTP_MARK:
      return HTTP + hostKey + stored.slice(1);
    case WHOLE_MARK:
      return stored.slice(1);
    default:
      return stored;
  }
}
