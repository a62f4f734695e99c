import type { Dispatcher, TaskJob, TaskRunOutcome, TaskRunner } from '../ports/dispatcher.js';
import { realTimers, type Timers } from '../util/timers.js';
import { FairQueue, jobKey } from './fair-queue.js';

export interface InProcessDispatcherOptions {
  /**
   * How many tasks run at once in this process: from their claim until their image is stored (the
   * write that ends a task does not hold a slot). @default 8
   */
  concurrency?: number;
  /** What a job is queued again with. @default the runtime's timers */
  timers?: Timers;
  /** @default Date.now */
  now?: () => number;
}

/** A job whose run threw (a storage call failed) is queued again this much later, at most this many times. */
const RETRY_MS = 1_000;
const MAX_RETRIES = 5;

/**
 * Runs jobs in this process, at most `concurrency` at a time, fair across users and batches.
 * Nothing survives a restart: the engine re-enqueues open tasks from storage when it starts.
 */
export class InProcessDispatcher implements Dispatcher {
  readonly concurrency: number;
  readonly #queue = new FairQueue();
  #runner: TaskRunner | null = null;
  /** Runs not yet settled (onIdle and stop wait for these). */
  #running = 0;
  /** Runs holding a concurrency slot. */
  #holding = 0;
  #stopped = false;
  #idleWaiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  readonly #timers: Timers;
  readonly #now: () => number;
  /** Jobs waiting to be queued again, by timer. */
  readonly #later = new Set<unknown>();
  readonly #failures = new Map<string, number>();

  constructor(options: InProcessDispatcherOptions = {}) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    this.concurrency = concurrency;
    this.#timers = options.timers ?? realTimers;
    this.#now = options.now ?? Date.now;
  }

  start(runner: TaskRunner): void {
    this.#runner = runner;
    this.#stopped = false;
    this.#pump();
  }

  async enqueue(jobs: TaskJob[]): Promise<void> {
    for (const job of jobs) this.#queue.push(job);
    this.#pump();
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stopped = true;
    for (const handle of this.#later) this.#timers.clearTimeout(handle);
    this.#later.clear();
    if (this.#running === 0) return;
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    const grace = options.graceMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, grace)))]);
    clearTimeout(timer);
  }

  onIdle(): Promise<void> {
    if (this.#running === 0 && (this.#queue.size === 0 || this.#runner === null)) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Tasks queued here and running here (the operator page and the tasks gauges read it). */
  async counts(): Promise<{ waiting: number; running: number }> {
    return { waiting: this.#queue.size, running: this.#running };
  }

  /** Jobs waiting and running, for dashboards and tests. */
  get stats(): { queued: number; running: number } {
    return { queued: this.#queue.size, running: this.#running };
  }

  #pump(): void {
    const runner = this.#runner;
    if (!runner) return;
    while (!this.#stopped && this.#holding < this.concurrency) {
      const job = this.#queue.shift();
      if (!job) break;
      this.#running++;
      this.#holding++;
      let holds = true;
      const free = (): void => {
        if (!holds) return;
        holds = false;
        this.#holding--;
      };
      const releaseSlot = (): void => {
        if (!holds) return;
        free();
        this.#pump();
      };
      runner(job, { releaseSlot }).then(
        (outcome) => {
          free();
          this.#ran(job, outcome);
        },
        () => {
          free();
          this.#ran(job, null);
        },
      );
    }
    this.#settle();
  }

  /**
   * A task held under another worker's lease is looked at again when the lease runs out (its holder
   * may have died); a run that threw (a storage call failed, maybe after its claim committed) is
   * queued again a little later, a few times. Otherwise the task would wait for the next start.
   */
  #ran(job: TaskJob, outcome: TaskRunOutcome | void | null): void {
    this.#running--;
    if (outcome === null) {
      const key = jobKey(job);
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      if (failures <= MAX_RETRIES) this.#again(job, RETRY_MS);
      else this.#failures.delete(key);
    } else {
      // The key is only built while some job has failed (the common case has none).
      if (this.#failures.size > 0) this.#failures.delete(jobKey(job));
      if (outcome?.state === 'busy') this.#again(job, Math.max(0, outcome.retryAt - this.#now()));
    }
    this.#pump();
  }

  #again(job: TaskJob, ms: number): void {
    if (this.#stopped) return;
    const handle = this.#timers.setTimeout(() => {
      this.#later.delete(handle);
      if (!this.#stopped) void this.enqueue([job]);
    }, ms);
    // A job looked at again later must not keep the process alive by itself.
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#later.add(handle);
  }

  #settle(): void {
    if (this.#running > 0) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    if (this.#queue.size === 0 || this.#stopped) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
