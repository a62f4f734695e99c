import { createBullMQDispatcher } from 'imagegen-kit/adapters/dispatch/bullmq';
import { createRedisDispatcher } from 'imagegen-kit/adapters/dispatch/redis';
import { BULL_CONNECTION, type scaleNames } from './scale-out-names.js';

/**
 * The engine's dispatcher in the scale-out case: `redis` (the Redis queue, the default) or
 * `bullmq`, chosen with BENCH_SCALE_DISPATCHER. The worker processes read the same variable.
 */
export const SCALE_DISPATCHER = (process.env.BENCH_SCALE_DISPATCHER ?? 'redis') as 'redis' | 'bullmq';

export function scaleDispatcher(names: ReturnType<typeof scaleNames>, concurrency?: number) {
  const logger = { warn() {}, error: console.error };
  const common = { prefix: names.bull, queueName: 'engine', logger, ...(concurrency ? { concurrency } : {}) };
  return SCALE_DISPATCHER === 'bullmq'
    ? createBullMQDispatcher({ connection: BULL_CONNECTION, ...common })
    : createRedisDispatcher({ connection: BULL_CONNECTION, ...common });
}
