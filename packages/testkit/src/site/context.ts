import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SiteShape } from './graph.ts';
import type { ResolvedSiteOptions } from './options.ts';
import type { SessionIds } from './session-ids.ts';
import type { SiteTimers } from './timers.ts';

/** State shared by every host of one site. */
export interface SiteState {
  readonly options: ResolvedSiteOptions;
  readonly shape: SiteShape;
  readonly timers: SiteTimers;
  readonly sessionIds: SessionIds;
  /** Requests seen so far per `/flaky/` id and host. */
  readonly flakyCounts: Map<string, number>;
  /** The origin links to `host` are written with (address or `h<i>.kraul.test`, with port). */
  linkOrigin(host: number): string;
}

/** What a handler knows about the host it answers for. */
export interface HostContext {
  readonly host: number;
  readonly site: SiteState;
}

/** Answers one request; `url` is the request target resolved against the host's origin. */
export type Handler = (ctx: HostContext, url: URL, req: IncomingMessage, res: ServerResponse) => void;
