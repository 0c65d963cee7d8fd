export {
  type HostPoliteness,
  type HostRun,
  HostScheduler,
  type HostSchedulerOptions,
  type RunOutcome,
} from './host-scheduler.ts';
export { decodeHandover, encodeHandover, type Handover, maxHandoverBytes } from './politeness-handover.ts';
