import { consoleLogger } from '../../../core/util/console-logger.js';
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job, type RateLimiterOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Dispatcher, TaskJob, TaskRunner } from '../../../core/ports/dispatcher.js';
import type { Logger } from '../../../core/options.js';
import { FairOrder } from './fair-order.js';
import { jobIdOf } from './job-id.js';

/** What a BullMQ job carries: which task to run, and the trace it belongs to. Storage holds everything else. */
export type TaskJobData = Pick<TaskJob, 'batchId' | 'index' | 'username' | 'traceparent'>;

export interface BullMQDispatcherOptions {
  /** ioredis options or an ioredis instance, as BullMQ takes them (`maxRetriesPerRequest: null` for workers). */
  connection: ConnectionOptions;
  /**
   * The queue. Use one queue per provider to give each provider its own limits
   * (`globalConcurrency`, `limiter`). @default 'imagegen-tasks'
   */
  queueName?: string;
  /** BullMQ key prefix. @default 'igk-bull' */
  prefix?: string;
  /** Tasks run at once by this process. @default 8 */
  concurrency?: number;
  /** Tasks run at once by all processes together on this queue (BullMQ global concurrency). @default no limit */
  globalConcurrency?: number;
  /** At most `max` tasks started per `duration` ms across all processes (BullMQ rate limiter). @default no limit */
  limiter?: RateLimiterOptions;
  /**
   * How long a worker's hold on a job lasts without renewal; BullMQ renews it at half that. A job
   * of a dead worker is handed to another within about `lockDurationMs + stalledIntervalMs`, and
   * then runs once the task's own lease (engine `leaseMs`) has run out. @default 30000
   */
  lockDurationMs?: number;
  /** How often workers look for jobs of dead workers. @default 30000 */
  stalledIntervalMs?: number;
  /**
   * How often a job may be recovered from a dead worker before BullMQ fails it. High by default:
   * the task record, not the job, decides what runs, so a redelivery never runs a task twice.
   * @default 1000
   */
  maxStalledCount?: number;
  /** Attempts of a job whose runner threw (Redis or storage unreachable), with exponential backoff. @default 10 */
  attempts?: number;
  /** Per-user round-robin through job priorities (see `FairOrder`). @default true */
  fairness?: boolean;
  /** @default console */
  logger?: Logger;
}

const defaultLogger = consoleLogger('imagegen-kit bullmq');

/**
 * A {@link Dispatcher} on BullMQ: `enqueue` adds one job per task (id = task id + claim count, so a
 * repeated enqueue is harmless and a retry runs again), and `start` runs a BullMQ worker in this
 * process that hands each job to the engine's runner. Any number of processes (API and workers)
 * may share the queue. The task record in storage decides what runs: a duplicate or redelivered
 * job finds its task ended (nothing to do) or held under a live lease, in which case the job is
 * delayed until that lease would run out and looked at again.
 *
 * @example
 * const dispatcher = createBullMQDispatcher({ connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }, concurrency: 20 });
 * const engine = createEngine({ storage, provider, imageStore, dispatcher, role: 'worker', leaseMs: 15_000 });
 */
export function createBullMQDispatcher(options: BullMQDispatcherOptions): BullMQDispatcher {
  return new BullMQDispatcher(options);
}

export class BullMQDispatcher implements Dispatcher {
  readonly distributed = true;
  readonly queue: Queue<TaskJobData>;
  readonly #options: BullMQDispatcherOptions;
  readonly #logger: Logger;
  #worker: Worker<TaskJobData> | null = null;
  #closingWorker: Promise<void> | null = null;
  #fair: Promise<FairOrder> | null = null;

  constructor(options: BullMQDispatcherOptions) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    this.#options = { ...options, concurrency };
    this.#logger = options.logger ?? defaultLogger;
    this.queue = new Queue<TaskJobData>(this.queueName, {
      connection: options.connection,
      prefix: this.prefix,
      defaultJobOptions: {
        removeOnComplete: true,
        // A failed job would block a later enqueue of the same id (recovery); the task record keeps the story.
        removeOnFail: true,
        attempts: options.attempts ?? 10,
        backoff: { type: 'exponential', delay: 500 },
      },
    });
    this.queue.on('error', (error) => this.#logger.error('queue error', { error: String(error) }));
  }

  get queueName(): string {
    return this.#options.queueName ?? 'imagegen-tasks';
  }

  get prefix(): string {
    return this.#options.prefix ?? 'igk-bull';
  }

  async start(runner: TaskRunner): Promise<void> {
    if (this.#worker) return;
    const o = this.#options;
    if (o.globalConcurrency !== undefined) await this.queue.setGlobalConcurrency(o.globalConcurrency);
    const fair = o.fairness === false ? null : await this.#fairOrder();
    const worker = new Worker<TaskJobData>(this.queueName, (job, token) => this.#process(runner, fair, job, token), {
      connection: o.connection,
      prefix: this.prefix,
      concurrency: o.concurrency!,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 1000,
      ...(o.limiter ? { limiter: o.limiter } : {}),
    });
    worker.on('error', (error) => this.#logger.error('worker error', { error: String(error) }));
    worker.on('failed', (job, error) => this.#logger.error('job failed', { jobId: job?.id, error: String(error) }));
    if (fair) worker.on('drained', () => void fair.resetIfDrained().catch(() => {}));
    this.#worker = worker;
    this.#closingWorker = null;
  }

  async #process(runner: TaskRunner, fair: FairOrder | null, job: Job<TaskJobData>, token: string | undefined): Promise<void> {
    if (fair && job.priority > 0) await fair.advance(job.priority);
    const { batchId, index, username, traceparent } = job.data;
    const outcome = await runner({ batchId, index, username, ...(traceparent ? { traceparent } : {}) });
    if (!outcome || outcome.state === 'done') return;
    // Not ours to run now: look again when the holder's lease would run out (jitter spreads the
    // look-ups of many jobs of one dead worker), or at once when this process is shutting down.
    const at = outcome.state === 'busy' ? outcome.retryAt + Math.floor(Math.random() * 100) : Date.now();
    await job.moveToDelayed(Math.max(at, Date.now()), token);
    throw new DelayedError();
  }

  async enqueue(jobs: TaskJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const priorities = new Map<TaskJob, number>();
    if (this.#options.fairness !== false) {
      const fair = await this.#fairOrder();
      const byUser = new Map<string, TaskJob[]>();
      for (const job of jobs) byUser.set(job.username, [...(byUser.get(job.username) ?? []), job]);
      await Promise.all(
        [...byUser].map(async ([username, list]) => {
          const rounds = await fair.take(username, list.length);
          for (const [i, job] of list.entries()) priorities.set(job, rounds[i]!);
        }),
      );
    }
    await this.queue.addBulk(
      jobs.map((job) => ({
        name: 'task',
        data: {
          batchId: job.batchId,
          index: job.index,
          username: job.username,
          ...(job.traceparent ? { traceparent: job.traceparent } : {}),
        },
        opts: { jobId: jobIdOf(job), ...(priorities.has(job) ? { priority: priorities.get(job)! } : {}) },
      })),
    );
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    // close() stops fetching at once and resolves when the running jobs have ended.
    this.#closingWorker ??= worker.close();
    const grace = options.graceMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#closingWorker, new Promise<void>((resolve) => (timer = setTimeout(resolve, grace)))]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    if (this.#worker) {
      this.#closingWorker ??= this.#worker.close();
      await this.#closingWorker;
      this.#worker = null;
    }
    await this.queue.close();
  }

  /** One round trip to the queue's Redis (readiness probes). */
  async ping(): Promise<void> {
    // BullMQ types its client narrowly; it is an ioredis client.
    const client = (await this.queue.client) as unknown as Redis;
    await client.ping();
  }

  /** Jobs of the whole queue: waiting (incl. prioritized and delayed) and active. */
  async counts(): Promise<{ waiting: number; running: number }> {
    const c = await this.queue.getJobCounts('active', 'wait', 'prioritized', 'delayed', 'paused');
    return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c.paused ?? 0), running: c.active ?? 0 };
  }

  /** Resolves when the queue holds no job in any state but completed (polls Redis). */
  async onIdle(pollMs = 100): Promise<void> {
    for (;;) {
      const counts = await this.queue.getJobCounts('active', 'wait', 'prioritized', 'delayed', 'paused', 'waiting-children');
      if (Object.values(counts).every((n) => n === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Removes the queue and its fairness keys from Redis (tests, teardown). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
    const fair = await this.#fairOrder();
    const client = await this.queue.client;
    await client.del(...fair.keys());
  }

  #fairOrder(): Promise<FairOrder> {
    this.#fair ??= this.queue.client.then((client) => new FairOrder(client as unknown as Redis, `${this.prefix}:${this.queueName}`));
    return this.#fair;
  }
}
