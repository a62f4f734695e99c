import { runningProgress } from '../../policy/progress.js';
import type { StorageAdapter } from '../../ports/storage-adapter.js';
import { ShutdownSignal } from '../generation-pipeline.js';
import { TaskCancelled } from './task-cancelled.js';
import { realTimers, type Timers } from '../../util/timers.js';

/**
 * Aborts a run whose claim another worker took over: it must not write anything more. A kind of
 * ShutdownSignal, so the runner leaves the provider request running: the new holder resumes it.
 */
export class LeaseLost extends ShutdownSignal {
  constructor() {
    super();
    this.message = 'Another worker took this task over';
    this.name = 'LeaseLost';
  }
}

/** One run this process holds a lease for. */
interface HeldRun {
  batchId: string;
  index: number;
  attempt: number;
  progress: number;
  /** Stops the run (given by the pipeline when the run starts); called with {@link LeaseLost}. */
  abort?: (reason: Error) => void;
}

/**
 * Renews the leases of every task this process runs from one timer (not one per task), every
 * third of the lease. A renewal the storage refuses means the claim is gone: the task was
 * cancelled (from any process: the status is in storage), and the run is aborted with
 * {@link TaskCancelled} so the provider is told to stop; or another worker took it over after a
 * stall, and the run is aborted with {@link LeaseLost} so it cannot spend more at the provider.
 */
export class LeaseKeeper {
  readonly #runs = new Set<HeldRun>();
  #timer: unknown;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly leaseMs: number,
    private readonly now: () => number,
    private readonly timers: Timers = realTimers,
  ) {}

  /**
   * Starts renewing a run's lease. The returned handle records its progress (written again with
   * each renewal), takes the run's abort function (`stopsWith`, the pipeline's `onStart`) and
   * releases the lease.
   */
  hold(batchId: string, index: number, attempt: number, progress: number) {
    const run: HeldRun = { batchId, index, attempt, progress };
    this.#runs.add(run);
    this.#timer ??= this.timers.setInterval(() => this.#renewAll(), Math.max(10, Math.floor(this.leaseMs / 3)));
    return {
      setProgress: (value: number) => {
        run.progress = value;
      },
      stopsWith: (abort: (reason: Error) => void) => {
        run.abort = abort;
      },
      release: () => {
        this.#runs.delete(run);
        if (this.#runs.size === 0 && this.#timer !== undefined) {
          this.timers.clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
    };
  }

  /** Why a renewal was refused: a cancel (the task says so) or a takeover. */
  async #lost(run: HeldRun): Promise<void> {
    const task = await this.storage.getTask(run.batchId, run.index).catch(() => null);
    run.abort?.(task?.status === 'cancelled' && task.attempts === run.attempt ? new TaskCancelled() : new LeaseLost());
  }

  /** True while this process runs the task (its lease is held here). */
  holds(batchId: string, index: number): boolean {
    for (const run of this.#runs) if (run.batchId === batchId && run.index === index) return true;
    return false;
  }

  /** Aborts this process's run of a task that was just cancelled, without waiting for the next renewal. */
  cancel(batchId: string, index: number): void {
    for (const run of this.#runs) if (run.batchId === batchId && run.index === index) run.abort?.(new TaskCancelled());
  }

  #renewAll(): void {
    const at = this.now();
    for (const run of this.#runs) {
      this.storage
        .updateTaskProgress(run.batchId, run.index, run.attempt, {
          progress: runningProgress(run.progress),
          leaseExpiresAt: at + this.leaseMs,
          now: at,
        })
        .then(
          (held) => {
            if (!held) void this.#lost(run);
          },
          () => {},
        );
    }
  }
}
