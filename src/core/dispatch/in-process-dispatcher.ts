import type { Dispatcher, TaskJob, TaskRunner } from '../ports/dispatcher.js';
import { FairQueue } from './fair-queue.js';

export interface InProcessDispatcherOptions {
  /**
   * How many tasks run at once in this process: from their claim until their image is stored (the
   * write that ends a task does not hold a slot). @default 8
   */
  concurrency?: number;
}

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
  /** Jobs answered `busy`, each waiting for its lease to end before it is queued again. */
  readonly #retries = new Set<ReturnType<typeof setTimeout>>();
  #idleWaiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];

  constructor(options: InProcessDispatcherOptions = {}) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    this.concurrency = concurrency;
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
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
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
      const releaseSlot = (): void => {
        if (!holds) return;
        holds = false;
        this.#holding--;
        this.#pump();
      };
      const done = (): void => {
        this.#running--;
        if (holds) releaseSlot();
        else this.#pump();
      };
      runner(job, { releaseSlot }).then((outcome) => {
        if (outcome && outcome.state === 'busy') this.#retryAt(job, outcome.retryAt);
        done();
      }, done);
    }
    this.#settle();
  }

  /** Queues a job again once the lease that made it `busy` has run out (another worker may renew it: then it is busy again). */
  #retryAt(job: TaskJob, retryAt: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(
      () => {
        this.#retries.delete(timer);
        if (this.#stopped) return;
        this.#queue.push(job);
        this.#pump();
      },
      Math.max(0, retryAt - Date.now()) + 1,
    );
    timer.unref?.();
    this.#retries.add(timer);
  }

  #settle(): void {
    if (this.#running > 0) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    if (this.#queue.size === 0 || this.#stopped) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
