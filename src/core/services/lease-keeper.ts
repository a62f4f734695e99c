import { runningProgress } from '../policy/progress.js';
import type { StorageAdapter } from '../ports/storage-adapter.js';

/** One run this process holds a lease for. */
interface HeldRun {
  batchId: string;
  index: number;
  attempt: number;
  progress: number;
  /** Stops the run: its claim was taken over by another worker. */
  lose: () => void;
}

/**
 * Renews the leases of every task this process runs from one timer (not one per task), every
 * third of the lease. A renewal the storage refuses means another worker took the task over after
 * a stall: that run is stopped so it cannot spend more at the provider.
 */
export class LeaseKeeper {
  readonly #runs = new Set<HeldRun>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** Starts renewing a run's lease; the returned handle records its progress and releases it. */
  hold(batchId: string, index: number, attempt: number, progress: number, lose: () => void) {
    const run: HeldRun = { batchId, index, attempt, progress, lose };
    this.#runs.add(run);
    this.#timer ??= setInterval(() => this.#renewAll(), Math.max(10, Math.floor(this.leaseMs / 3)));
    return {
      setProgress: (value: number) => {
        run.progress = value;
      },
      release: () => {
        this.#runs.delete(run);
        if (this.#runs.size === 0 && this.#timer) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
    };
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
          (held) => held || run.lose(),
          () => {},
        );
    }
  }
}
