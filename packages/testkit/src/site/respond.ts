import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { htmlDocument, linkPage } from './html.ts';

export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendBody(res, status, 'text/html; charset=utf-8', html, headers);
}

/** A status page: every error and oddity still carries a small HTML body. */
export function sendStatus(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  if (status === 204 || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const title = `Status ${status}`;
  sendHtml(
    res,
    status,
    htmlDocument({ title, body: `<h1>${title}</h1>\n<p>The test site answered ${status}.</p>` }),
    headers,
  );
}

export function sendNotFound(res: ServerResponse): void {
  sendStatus(res, 404);
}

export function sendRedirect(res: ServerResponse, status: number, location: string): void {
  sendHtml(res, status, linkPage(`Moved (${status})`, [{ href: location, text: 'New location' }]), {
    Location: location,
  });
}

/**
 * Writes `total` bytes made of `chunk` repeated (the last one cut short), honouring
 * backpressure, then ends. Stops quietly when the client goes away. Nothing larger than
 * `chunk` is ever held.
 */
export function streamRepeated(res: ServerResponse, chunk: Buffer, total: number, suffix?: Buffer): void {
  let remaining = total;
  const step = (): void => {
    while (remaining > 0) {
      if (res.destroyed) return;
      const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
      remaining -= piece.length;
      if (!res.write(piece)) {
        res.once('drain', step);
        return;
      }
    }
    if (!res.destroyed) res.end(suffix);
  };
  step();
}

/** A non-negative number from the query, or the fallback when absent or malformed. */
export function numberParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}
