import type { PageLink } from '@kraul/protocol';
import type { PageLinkInfo } from './define.ts';
import type { RequestMeta } from './request-data.ts';

/** A page sent to a handler thread. */
export interface PageTask {
  url: string;
  finalUrl: string;
  status: number;
  headers: Record<string, string>;
  contentType: string | undefined;
  body: Uint8Array;
  depth: number;
  meta: RequestMeta | undefined;
  links: PageLinkInfo[];
  maxUrlLength: number;
}

/** One pushed item: its data, or why it was refused. */
export type PushedItem =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; data: string; error: string; field?: string };

export type HandlerResult =
  | { ok: true; label: string | undefined; items: PushedItem[]; enqueued: PageLink[]; refused: string[] }
  | { ok: false; label: string | undefined; error: { message: string; stack: string } };

/** Main thread → handler thread. */
export interface TaskMessage {
  id: number;
  page: PageTask;
}

/** Handler thread → main thread. */
export type ThreadMessage =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }
  | { type: 'result'; id: number; result: HandlerResult };

/** What the handler thread is started with. */
export interface ThreadData {
  /** A file: URL or package name of the crawl definition module. */
  module: string;
}
