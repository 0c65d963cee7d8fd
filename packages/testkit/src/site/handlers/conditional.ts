import type { Handler } from '../context.ts';
import { linkPage } from '../html.ts';
import { sendHtml, sendStatus } from '../respond.ts';

export const ETAG = '"kraul-etag-1"';
export const LAST_MODIFIED = 'Wed, 01 Jan 2025 00:00:00 GMT';

function etagMatches(header: string): boolean {
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter for If-None-Match.
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === ETAG);
}

/**
 * `/etag`: answers 304 to a matching If-None-Match, or, when that header is absent, to an
 * If-Modified-Since at or after the Last-Modified date; otherwise 200 with both validators.
 */
export const etag: Handler = (_ctx, _url, req, res) => {
  const validators = { ETag: ETAG, 'Last-Modified': LAST_MODIFIED, 'Cache-Control': 'no-cache' };
  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  const notModified =
    ifNoneMatch !== undefined
      ? etagMatches(ifNoneMatch)
      : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(LAST_MODIFIED);
  if (notModified) sendStatus(res, 304, validators);
  else sendHtml(res, 200, linkPage('Cacheable page', [{ href: '/p/0', text: 'Home' }]), validators);
};
