export * from './crawler-worker.ts';
export {
  type HostPoliteness,
  type HostRun,
  HostScheduler,
  type HostSchedulerOptions,
  type RunOutcome,
} from './host-scheduler.ts';
export * from './page-handler.ts';
export * from './page-hook.ts';
export { decodeHandover, encodeHandover, type Handover, maxHandoverBytes } from './politeness-handover.ts';
