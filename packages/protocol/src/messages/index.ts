import type { z } from 'zod';
import { deadLetter } from './dlq.ts';
import { crawlSeeded, fetchFailed, pageFetched } from './events.ts';
import { fetchRequest } from './fetch-request.ts';
import { item } from './item.ts';
import { job } from './job.ts';
import { pageDocument } from './page-document.ts';
import { frontierProgress } from './progress.ts';
import { scheduleBatch } from './schedule.ts';

export * from './common.ts';
export * from './dlq.ts';
export * from './events.ts';
export * from './fetch-request.ts';
export * from './item.ts';
export * from './job.ts';
export * from './page-document.ts';
export * from './progress.ts';
export * from './reasons.ts';
export * from './schedule.ts';

/** Every message kind, by its `type` tag. */
export const MESSAGE_SCHEMAS = {
  'fetch.request': fetchRequest,
  'crawl.seeded': crawlSeeded,
  'page.fetched': pageFetched,
  'fetch.failed': fetchFailed,
  'schedule.batch': scheduleBatch,
  'page.document': pageDocument,
  item: item,
  job: job,
  'frontier.progress': frontierProgress,
  'dlq.record': deadLetter,
} as const;

export type MessageType = keyof typeof MESSAGE_SCHEMAS;
export type Message = { [K in MessageType]: z.infer<(typeof MESSAGE_SCHEMAS)[K]> }[MessageType];
export type MessageOf<T extends MessageType> = z.infer<(typeof MESSAGE_SCHEMAS)[T]>;
/** What a producer may write: defaults of the schema may be left out. */
export type MessageInput<T extends MessageType> = z.input<(typeof MESSAGE_SCHEMAS)[T]>;
