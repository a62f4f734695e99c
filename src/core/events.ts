import { EventEmitter } from 'eventemitter3';
import type { TaskResult, TaskStatus, LedgerKind } from './schemas/records.js';

/** Payload of every task event: the ids and numbers a progress UI needs. */
export interface TaskEventBase {
  batchId: string;
  taskId: string;
  index: number;
  username: string;
  /** The claim number of the run that produced the event. */
  attempt: number;
}

export interface TaskProgressEvent extends TaskEventBase {
  status: TaskStatus;
  progress: number;
}
export interface TaskCompletedEvent extends TaskEventBase {
  result: TaskResult;
}
export interface TaskFailedEvent extends TaskEventBase {
  error: string;
  progress: number;
}
/** A task ended by a cancel, in the process that cancelled it. */
export interface TaskCancelledEvent extends TaskEventBase {
  /** The status it had: a `pending` task never ran, a `processing` one was stopped. */
  was: 'pending' | 'processing';
  /** Credits given back for it (0 for none). */
  refunded: number;
}
export interface BatchCompletedEvent {
  batchId: string;
  username: string;
  totalTasks: number;
  completedTasks: number;
  failedTasks: number;
  cancelledTasks: number;
}
export interface CreditsChangedEvent {
  username: string;
  balance: number;
  delta: number;
  kind: LedgerKind;
  idempotencyKey: string;
}
/** Progress of a single generation (text-to-image or image-to-image) that is not in a batch. */
export interface GenerationProgressEvent {
  username: string;
  /** The idempotency key of the generation's charge: a stable handle a UI can follow. */
  operationId: string;
  progress: number;
}

/** Typed event map of the engine. */
export interface EngineEvents {
  'task:progress': (event: TaskProgressEvent) => void;
  'task:completed': (event: TaskCompletedEvent) => void;
  'task:failed': (event: TaskFailedEvent) => void;
  'task:cancelled': (event: TaskCancelledEvent) => void;
  'batch:completed': (event: BatchCompletedEvent) => void;
  'credits:changed': (event: CreditsChangedEvent) => void;
  'generation:progress': (event: GenerationProgressEvent) => void;
}

/**
 * The engine's event bus. A listener that throws is reported on `console.error` and does not
 * reach the task that emitted the event.
 */
export class EngineEventBus extends EventEmitter<EngineEvents> {
  override emit<E extends keyof EngineEvents>(
    event: E,
    ...args: EventEmitter.ArgumentMap<EngineEvents>[Extract<E, keyof EngineEvents>]
  ): boolean {
    try {
      // Every engine event has one payload: passed on as one argument, not spread again.
      return args.length === 1 ? super.emit(event, args[0]) : super.emit(event, ...args);
    } catch (error) {
      console.error(`[imagegen-kit] a listener of "${String(event)}" threw`, error);
      return true;
    }
  }
}
