export { createBullMQDispatcher, BullMQDispatcher, type BullMQDispatcherOptions, type TaskJobData } from './dispatcher.js';
export { FairOrder, MAX_PRIORITY } from './fair-order.js';
export { jobIdOf } from './job-id.js';
export { shutdownOnSignals, type ShutdownOnSignalsOptions } from './shutdown-on-signals.js';
