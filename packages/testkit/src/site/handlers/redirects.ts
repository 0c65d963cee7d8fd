import type { Handler } from '../context.ts';
import { numberParam, sendNotFound, sendRedirect, sendStatus } from '../respond.ts';

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** `?code=` picks the redirect status (301, 302, 303, 307, 308); default 302. */
function redirectCode(url: URL): number {
  const code = numberParam(url, 'code', 302);
  return REDIRECT_CODES.has(code) ? code : 302;
}

/** `/redirect/<n>`: n hops, `/redirect/n` → `/redirect/n-1` → ... → `/p/0`. */
export const redirectChain: Handler = (_ctx, url, _req, res) => {
  const match = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (!match) {
    sendNotFound(res);
    return;
  }
  const hops = Number(match[1]);
  const next = hops > 1 ? `/redirect/${hops - 1}${url.search}` : '/p/0';
  sendRedirect(res, redirectCode(url), next);
};

/** `/redirect-loop` → `/redirect-loop/b` → `/redirect-loop` → ... */
export const redirectLoop: Handler = (_ctx, url, _req, res) => {
  sendRedirect(
    res,
    redirectCode(url),
    url.pathname === '/redirect-loop' ? '/redirect-loop/b' : '/redirect-loop',
  );
};

/** `/redirect-to?url=<anything>`: a redirect wherever the test says (other hosts, schemes, addresses). */
export const redirectTo: Handler = (_ctx, url, _req, res) => {
  const target = url.searchParams.get('url');
  if (target === null) sendStatus(res, 400);
  else sendRedirect(res, redirectCode(url), target);
};
