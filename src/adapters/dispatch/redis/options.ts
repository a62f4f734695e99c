import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../../../core/options.js';

export interface RedisDispatcherOptions {
  /**
   * An ioredis client you own (closed by you; the storage's client may be shared), or options for
   * one the dispatcher creates. A worker also opens one more connection of its own to wait for jobs.
   */
  connection: Redis | Cluster | RedisOptions;
  /** Prepended to the queue's keys; must not contain `{` or `}`. @default 'igk-q:' */
  prefix?: string;
  /** The queue: processes with the same prefix and queue share its jobs. @default 'tasks' */
  queueName?: string;
  /** Tasks run at once by this process. @default 8 */
  concurrency?: number;
  /**
   * How long a worker's hold on a job lasts without renewal; it is renewed at a third of that. A
   * dead worker's jobs go to another within about this long, and then run once the task's own lease
   * (engine `leaseMs`) has run out. @default 30000
   */
  lockDurationMs?: number;
  /** How often an idle worker looks for delayed jobs and jobs of dead workers. @default 1000 */
  pollIntervalMs?: number;
  /** Runs of a job whose runner threw (Redis or storage unreachable), with exponential backoff from 500 ms. @default 10 */
  attempts?: number;
  /** Per-user round-robin order across the whole queue. @default true */
  fairness?: boolean;
  /** @default console */
  logger?: Logger;
}

/** True for an ioredis Cluster client. */
export function isCluster(c: unknown): c is Cluster {
  return typeof c === 'object' && c !== null && (c as { isCluster?: boolean }).isCluster === true;
}
