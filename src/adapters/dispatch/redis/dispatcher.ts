import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../../core/options.js';
import type { Dispatcher, TaskJob, TaskRunner, TaskRunOutcome } from '../../../core/ports/dispatcher.js';
import { consoleLogger } from '../../../core/util/console-logger.js';
import { jobIdOf } from '../bullmq/job-id.js';
import { type Held, jobOf, type Move, payloadOf } from './job-payload.js';
import { isCluster, type RedisDispatcherOptions } from './options.js';
import { ENQUEUE, EXTEND, KEY, queueKeys, TURN } from './scripts.js';

type Client = Redis | Cluster;
type Scripted = Client & {
  igkQueueEnqueue(...args: (string | number)[]): Promise<number>;
  igkQueueTurn(...args: (string | number)[]): Promise<string[]>;
  igkQueueExtend(...args: (string | number)[]): Promise<number>;
};

const defaultLogger = consoleLogger('imagegen-kit redis queue');
const RETRY_AFTER_ERROR_MS = 1_000;
const ENQUEUE_SLICE = 500;

/**
 * A {@link Dispatcher} on a queue of its own in Redis: the same guarantees as the BullMQ one
 * (any number of API and worker processes, per-user fairness, a dead worker's jobs handed on, a
 * repeated enqueue harmless, a retry a new job) for fewer round trips and less work in Redis.
 * Enqueueing is one script per submit; a worker's turn is one script that ends the jobs it
 * finished, puts back due and orphaned ones, and hands it as many new ones as it has free slots,
 * so at full load a task costs the queue about one short script. Jobs only point at tasks; the
 * task record in storage decides what runs, as with every dispatcher.
 *
 * @example
 * const redis = new Redis({ host: '127.0.0.1', port: 6379 });
 * const storage = createRedisStorage({ client: redis });
 * const dispatcher = createRedisDispatcher({ connection: redis, concurrency: 20 });
 * const engine = createEngine({ storage, provider, imageStore, dispatcher, role: 'worker' });
 */
export function createRedisDispatcher(options: RedisDispatcherOptions): RedisDispatcher {
  return new RedisDispatcher(options);
}

export class RedisDispatcher implements Dispatcher {
  readonly distributed = true;
  readonly concurrency: number;
  readonly #client: Scripted;
  readonly #owned: boolean;
  readonly #keys: string[];
  readonly #holdMs: number;
  readonly #pollMs: number;
  readonly #attempts: number;
  readonly #fair: boolean;
  readonly #logger: Logger;
  #runner: TaskRunner | null = null;
  #stopping = false;
  /** Slots neither running a job nor asked for in the turn in flight. */
  #free = 0;
  readonly #held = new Map<string, string>();
  readonly #running = new Set<Promise<void>>();
  #ends: Held[] = [];
  #moves: Move[] = [];
  #turn: Promise<void> | null = null;
  #turnQueued = false;
  #blocker: Client | null = null;
  #blocking = false;
  #renewTimer: ReturnType<typeof setInterval> | null = null;

  constructor(options: RedisDispatcherOptions) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    const prefix = options.prefix ?? 'igk-q:';
    const queueName = options.queueName ?? 'tasks';
    if (/[{}]/.test(prefix + queueName)) throw new RangeError('prefix and queueName must not contain { or }');
    this.concurrency = concurrency;
    const c = options.connection;
    this.#owned = !(c instanceof Redis) && !isCluster(c);
    const client: Client = this.#owned ? new Redis({ enableAutoPipelining: false, ...(c as RedisOptions) }) : (c as Client);
    if (typeof (client as Scripted).igkQueueTurn !== 'function') {
      client.defineCommand('igkQueueEnqueue', { numberOfKeys: 10, lua: ENQUEUE });
      client.defineCommand('igkQueueTurn', { numberOfKeys: 10, lua: TURN });
      client.defineCommand('igkQueueExtend', { numberOfKeys: 10, lua: EXTEND });
    }
    this.#client = client as Scripted;
    this.#keys = queueKeys(`${prefix}{${queueName}}`);
    this.#holdMs = options.lockDurationMs ?? 30_000;
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#attempts = options.attempts ?? 10;
    this.#fair = options.fairness !== false;
    this.#logger = options.logger ?? defaultLogger;
    if (this.#owned) client.on('error', (error: Error) => this.#logger.warn('redis queue: connection error', { error: error.message }));
  }

  /** The queue's Redis keys (all under one hash tag). */
  keys(): string[] {
    return [...this.#keys];
  }

  async enqueue(jobs: TaskJob[]): Promise<void> {
    // In slices, so that enqueueing a recovery's thousands of jobs never holds Redis for long.
    for (let start = 0; start < jobs.length; start += ENQUEUE_SLICE) {
      const args: string[] = [this.#fair ? '1' : '0'];
      for (const job of jobs.slice(start, start + ENQUEUE_SLICE)) args.push(jobIdOf(job), job.username, payloadOf(job));
      await this.#client.igkQueueEnqueue(...this.#keys, ...args);
    }
  }

  start(runner: TaskRunner): void {
    if (this.#runner && !this.#stopping) return;
    this.#runner = runner;
    this.#stopping = false;
    this.#free = this.concurrency - this.#held.size;
    this.#blocker ??= this.#client.duplicate();
    this.#blocker.on('error', () => {});
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(10, Math.floor(this.#holdMs / 3)));
    this.#renewTimer.unref?.();
    this.#scheduleTurn();
  }

  /** Asks for a turn at the end of this turn of the event loop, so the ends and slots of many runs share it. */
  #scheduleTurn(): void {
    if (this.#turnQueued) return;
    this.#turnQueued = true;
    if (this.#turn) return;
    setImmediate(() => void this.#runTurn());
  }

  async #runTurn(): Promise<void> {
    this.#turnQueued = false;
    const want = this.#stopping ? 0 : this.#free;
    const ends = this.#ends;
    const moves = this.#moves;
    if (want === 0 && ends.length === 0 && moves.length === 0) return;
    this.#ends = [];
    this.#moves = [];
    this.#free -= want;
    const args: (string | number)[] = [this.#holdMs, want, ends.length];
    for (const e of ends) args.push(e.id, e.token);
    for (const m of moves) args.push(m.id, m.token, m.due, m.threw ? '1' : '0');
    let got = 0;
    this.#turn = this.#client.igkQueueTurn(...this.#keys, ...args).then(
      (reply) => {
        for (let i = 0; i + 3 < reply.length; i += 4) {
          got++;
          // Stopped while the turn was out: the jobs go back at once, for another worker.
          if (this.#stopping) this.#moves.push({ id: reply[i]!, token: reply[i + 2]!, due: 0, threw: false });
          else this.#begin(reply[i]!, reply[i + 1]!, reply[i + 2]!, Number(reply[i + 3]));
        }
        if (this.#stopping) this.#free += got;
        this.#free += want - got;
      },
      (error: unknown) => {
        this.#free += want;
        this.#ends.push(...ends);
        this.#moves.push(...moves);
        this.#logger.error('redis queue: turn failed; trying again', { error: String(error) });
        return new Promise<void>((resolve) => setTimeout(resolve, RETRY_AFTER_ERROR_MS)).then(() => this.#scheduleTurn());
      },
    );
    await this.#turn;
    this.#turn = null;
    if (this.#turnQueued || this.#ends.length > 0 || this.#moves.length > 0) {
      this.#turnQueued = false;
      this.#scheduleTurn();
    } else if (got < want && !this.#stopping) this.#waitForJobs();
  }

  /** Blocks on the wake list (its own connection) until a job may be waiting, or a poll interval passes. */
  #waitForJobs(): void {
    const blocker = this.#blocker;
    if (this.#blocking || !blocker) return;
    this.#blocking = true;
    blocker.blpop(this.#keys[KEY.wake]!, this.#pollMs / 1000).then(
      () => this.#afterWait(),
      () => setTimeout(() => this.#afterWait(), this.#stopping ? 0 : RETRY_AFTER_ERROR_MS),
    );
  }

  #afterWait(): void {
    this.#blocking = false;
    if (!this.#stopping && this.#free > 0) this.#scheduleTurn();
  }

  #begin(id: string, payload: string, token: string, tries: number): void {
    const job = jobOf(payload);
    if (!job) {
      this.#logger.error('redis queue: dropped a job that is not a task', { id });
      this.#ends.push({ id, token });
      this.#free++;
      return;
    }
    this.#held.set(id, token);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#free++;
      this.#scheduleTurn();
    };
    const run = this.#run(job, { id, token }, tries, release).finally(() => {
      this.#held.delete(id);
      this.#running.delete(run);
      release();
    });
    this.#running.add(run);
  }

  async #run(job: TaskJob, held: Held, tries: number, releaseSlot: () => void): Promise<void> {
    let outcome: TaskRunOutcome | void;
    try {
      outcome = await this.#runner!(job, { releaseSlot });
    } catch (error) {
      if (tries + 1 >= this.#attempts) {
        this.#logger.error('redis queue: job failed for good', { jobId: held.id, error: String(error) });
        this.#ends.push(held);
      } else {
        this.#logger.error('redis queue: job failed; retrying', { jobId: held.id, error: String(error) });
        this.#moves.push({ ...held, due: Date.now() + 500 * 2 ** tries, threw: true });
      }
      return;
    }
    if (!outcome || outcome.state === 'done') this.#ends.push(held);
    // Not ours to run now: look again when the holder's lease would run out (jitter spreads the
    // look-ups of many jobs of one dead worker), or at once when this process is shutting down.
    else if (outcome.state === 'busy') this.#moves.push({ ...held, due: outcome.retryAt + Math.floor(Math.random() * 100), threw: false });
    else this.#moves.push({ ...held, due: 0, threw: false });
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    const args: string[] = [String(this.#holdMs)];
    for (const [id, token] of this.#held) args.push(id, token);
    await this.#client.igkQueueExtend(...this.#keys, ...args).catch((error: unknown) => {
      this.#logger.warn('redis queue: could not renew holds', { error: String(error) });
    });
  }

  /** Stops taking jobs; running ones get until `graceMs` to end. */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.#runner) return;
    this.#stopping = true;
    this.#blocker?.disconnect();
    this.#blocker = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#running]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs ?? 30_000))),
    ]);
    clearTimeout(timer);
  }

  /** Waits for the runs the engine interrupted, hands their jobs back, and closes the connection it made. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    this.#renewTimer = null;
    this.#stopping = true;
    // A few tries: holds that cannot be handed back run out by themselves (lockDurationMs).
    for (let tries = 0; tries < 3 && (this.#turn || this.#ends.length > 0 || this.#moves.length > 0); tries++) {
      await this.#turn;
      if (!this.#turn && (this.#ends.length > 0 || this.#moves.length > 0)) await this.#runTurn();
    }
    this.#blocker?.disconnect();
    if (this.#owned) await this.#client.quit().catch(() => {});
  }

  /** One round trip to the queue's Redis (readiness probes). */
  async ping(): Promise<void> {
    await this.#client.ping();
  }

  /** Jobs of the whole queue: waiting (incl. delayed) and held by a worker. */
  async counts(): Promise<{ waiting: number; running: number }> {
    const k = this.#keys;
    const [wait, delayed, active] = await Promise.all([
      this.#client.zcard(k[KEY.wait]!),
      this.#client.zcard(k[KEY.delayed]!),
      this.#client.zcard(k[KEY.active]!),
    ]);
    return { waiting: wait + delayed, running: active };
  }

  /** Resolves when the queue holds no job (polls Redis). */
  async onIdle(pollMs = 100): Promise<void> {
    for (;;) {
      if ((await this.#client.hlen(this.#keys[KEY.jobs]!)) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Removes the queue from Redis (tests, teardown). */
  async obliterate(): Promise<void> {
    await this.#client.del(...this.#keys);
  }
}
