import type { Handler } from '../context.ts';
import { ENCODED_PAGES, type EncodedPage, encodedPageBytes } from '../encoded-pages.ts';
import { sendBody } from '../respond.ts';

function encodedPage(page: EncodedPage): Handler {
  return (_ctx, _url, _req, res) => sendBody(res, 200, page.contentType, encodedPageBytes(page));
}

/** `/gbk`, `/sjis`, `/utf8-bom`, `/latin1`. */
export const encodedPageHandlers: ReadonlyMap<string, Handler> = new Map(
  Object.values(ENCODED_PAGES).map((page) => [page.path, encodedPage(page)]),
);
