import type { Handler } from '../context.ts';
import {
  BINARY_BYTES,
  brotliBombBody,
  GZIP_BOMB_MEMBER_BYTES,
  gzipBombMember,
  HUGE_CHUNK,
  MIB,
  PNG_IMAGE,
} from '../payloads.ts';
import { numberParam, sendBody, sendStatus, streamRepeated } from '../respond.ts';

const HUGE_HEAD = Buffer.from('<!DOCTYPE html>\n<html><head><title>Huge page</title></head><body>\n');
const HUGE_TAIL = Buffer.from('</body></html>\n');

/**
 * `/huge?mb=<n>`: an HTML body of exactly n MiB (default 50), generated chunk by chunk.
 * Sent chunked; `?declare=1` announces the size in Content-Length instead.
 */
export const huge: Handler = (_ctx, url, _req, res) => {
  const total = Math.max(HUGE_HEAD.length + HUGE_TAIL.length, Math.round(numberParam(url, 'mb', 50) * MIB));
  const headers: Record<string, string | number> = { 'Content-Type': 'text/html; charset=utf-8' };
  if (url.searchParams.get('declare') === '1') headers['Content-Length'] = total;
  res.writeHead(200, headers);
  res.write(HUGE_HEAD);
  streamRepeated(res, HUGE_CHUNK, total - HUGE_HEAD.length - HUGE_TAIL.length, HUGE_TAIL);
};

/**
 * `/gzip-bomb?mb=<n>`: Content-Encoding gzip, about 1 MB on the wire that inflates to
 * n MiB of zeros (default 1000, rounded up to 10 MiB members).
 */
export const gzipBomb: Handler = (_ctx, url, _req, res) => {
  const member = gzipBombMember();
  const members = Math.max(1, Math.ceil((numberParam(url, 'mb', 1000) * MIB) / GZIP_BOMB_MEMBER_BYTES));
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Encoding': 'gzip',
    'Content-Length': member.length * members,
  });
  streamRepeated(res, member, member.length * members);
};

/** `/br-bomb`: Content-Encoding br, about 200 KB that inflate to 1000 MiB of zeros. */
export const brotliBomb: Handler = (_ctx, _url, _req, res) => {
  brotliBombBody().then(
    (body) => {
      if (res.destroyed) return;
      sendBody(res, 200, 'text/html; charset=utf-8', body, { 'Content-Encoding': 'br' });
    },
    () => sendStatus(res, 500),
  );
};

/** `/binary`: 16 KiB of application/octet-stream. */
export const binary: Handler = (_ctx, _url, _req, res) => {
  sendBody(res, 200, 'application/octet-stream', BINARY_BYTES);
};

/** `/image.png`: a real PNG image. */
export const pngImage: Handler = (_ctx, _url, _req, res) => {
  sendBody(res, 200, 'image/png', PNG_IMAGE);
};
