import type { Logger } from '../../../core/options.js';
import type { Dispatcher, TaskJob, TaskRunner } from '../../../core/ports/dispatcher.js';
import { consoleLogger } from '../../../core/util/console-logger.js';
import type { MessageBatchLike, QueueMessageLike, QueueProducerLike } from './bindings.js';

export type { MessageBatchLike, QueueMessageLike, QueueProducerLike } from './bindings.js';

/** What a message carries: only which task to run (and its claim count when queued). Storage holds everything else. */
export type TaskMessage = Required<Pick<TaskJob, 'batchId' | 'index' | 'username' | 'attempt'>>;

export interface QueuesDispatcherOptions {
  /** The producer binding of the tasks queue (`env.TASKS`). */
  queue: QueueProducerLike<TaskMessage>;
  /** Messages of one delivered batch run at once. @default 8 */
  concurrency?: number;
  /** Longest delay of a message sent back (Queues allows 12 h). @default 43200 */
  maxDelaySeconds?: number;
  /** @default console */
  logger?: Logger;
}

/** Queues takes at most 100 messages per `sendBatch`. */
const SEND_BATCH_MAX = 100;
const defaultLogger = consoleLogger('imagegen-kit queues');

/**
 * A {@link Dispatcher} on Cloudflare Queues: `enqueue` (the API Worker, on submit and retry)
 * sends one message per task, and the consumer Worker's `queue()` handler passes each delivered
 * batch to {@link QueuesDispatcher.consume}, which hands every message to the engine's runner.
 *
 * Queues delivers at least once and has no job ids, so the task record decides, as with BullMQ:
 * a duplicate finds its task ended or claimed (compare-and-set on status and claim number), and a
 * task held under a live lease is sent again delayed until that lease would run out (a new
 * message, so waiting never uses up the consumer's `max_retries`). A runner that throws (storage
 * unreachable) has its message retried by Queues with exponential back-off.
 *
 * @example
 * const dispatcher = createQueuesDispatcher({ queue: env.TASKS });
 * export default {
 *   async queue(batch, env) { await workerEngine(env).dispatcher.consume(batch); },
 * };
 */
export function createQueuesDispatcher(options: QueuesDispatcherOptions): QueuesDispatcher {
  return new QueuesDispatcher(options);
}

export class QueuesDispatcher implements Dispatcher {
  readonly distributed = true;
  readonly concurrency: number;
  readonly #queue: QueueProducerLike<TaskMessage>;
  readonly #maxDelay: number;
  readonly #logger: Logger;
  #runner: TaskRunner | null = null;
  #stopped = false;
  readonly #running = new Set<Promise<void>>();

  constructor(options: QueuesDispatcherOptions) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    this.concurrency = concurrency;
    this.#queue = options.queue;
    this.#maxDelay = options.maxDelaySeconds ?? 43_200;
    this.#logger = options.logger ?? defaultLogger;
  }

  /** Keeps the runner {@link consume} hands messages to (the engine calls it in `startWorkers`). */
  start(runner: TaskRunner): void {
    this.#runner = runner;
    this.#stopped = false;
  }

  async enqueue(jobs: TaskJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += SEND_BATCH_MAX) {
      await this.#queue.sendBatch(jobs.slice(i, i + SEND_BATCH_MAX).map((job) => ({ body: messageOf(job), contentType: 'json' as const })));
    }
  }

  /**
   * Runs a delivered batch: each message acked once its task ended (or was found ended or not its
   * to run), sent again delayed while another worker's lease is live, retried by Queues when the
   * runner threw. `runner` defaults to the one given to {@link start} (`engine.batches.runJob`
   * runs without starting the engine's recovery).
   */
  async consume(batch: MessageBatchLike<TaskMessage>, runner: TaskRunner | null = this.#runner): Promise<void> {
    if (!runner) throw new Error('imagegen-kit: QueuesDispatcher.consume before start: start the engine, or pass engine.batches.runJob');
    const messages = [...batch.messages];
    const lanes = Array.from({ length: Math.min(this.concurrency, messages.length) }, async () => {
      for (let message = messages.shift(); message; message = messages.shift()) await this.#track(this.#runOne(runner, message));
    });
    await Promise.all(lanes);
  }

  async #track(run: Promise<void>): Promise<void> {
    this.#running.add(run);
    try {
      await run;
    } finally {
      this.#running.delete(run);
    }
  }

  async #runOne(runner: TaskRunner, message: QueueMessageLike<TaskMessage>): Promise<void> {
    const job = jobOf(message.body);
    if (!job) {
      this.#logger.error('dropped a message that is not a task', { id: message.id });
      message.ack();
      return;
    }
    if (this.#stopped) {
      message.retry({ delaySeconds: 0 });
      return;
    }
    let outcome: Awaited<ReturnType<TaskRunner>>;
    try {
      outcome = await runner(job);
    } catch (error) {
      this.#logger.error('task run failed; Queues retries it', { taskId: `${job.batchId}:${job.index}`, error: String(error) });
      message.retry({ delaySeconds: Math.min(this.#maxDelay, 2 ** Math.min(message.attempts, 10)) });
      return;
    }
    if (!outcome || outcome.state === 'done') {
      message.ack();
      return;
    }
    // Held by a live lease elsewhere (or this isolate is going away): look again when the lease
    // would run out, as a new message so the wait does not count against max_retries.
    const waitMs = outcome.state === 'busy' ? outcome.retryAt - Date.now() : 0;
    const delaySeconds = Math.min(this.#maxDelay, Math.max(0, Math.ceil(waitMs / 1000)));
    await this.#queue.send(messageOf(job), { contentType: 'json', delaySeconds });
    message.ack();
  }

  /** Stops taking messages (they are retried); running ones get until `graceMs` to end. */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#running.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#running]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs ?? 30_000))),
    ]);
    clearTimeout(timer);
  }
}

const messageOf = (job: TaskJob): TaskMessage => ({
  batchId: job.batchId,
  index: job.index,
  username: job.username,
  attempt: job.attempt ?? 0,
});

function jobOf(body: unknown): TaskJob | null {
  const b = body as Partial<TaskMessage> | null;
  if (!b || typeof b.batchId !== 'string' || typeof b.username !== 'string' || !Number.isInteger(b.index)) return null;
  return { batchId: b.batchId, index: b.index!, username: b.username, attempt: Number.isInteger(b.attempt) ? b.attempt! : 0 };
}
