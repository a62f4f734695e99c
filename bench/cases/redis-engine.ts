import { Redis } from 'ioredis';
import { createRedisStorage } from 'imagegen-kit/adapters/storage/redis';
import type { BenchCase } from '../case.js';
import { runBullmqBaseline, REDIS } from '../bullmq-baseline.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { ratio } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY } from '../shape.js';
import { deleteKeys } from '../../test/storage/redis-server.js';

/** The engine on Redis storage against BullMQ on the same Redis, same job shape. */
export const redisEngineCase: BenchCase = {
  name: 'engine-redis',
  needs: ['redis'],
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    const run = `bench-${process.pid}-${Date.now().toString(36)}`;
    await warmUp();
    const baseline = await runBullmqBaseline(`${run}-bullmq`);
    const client = new Redis(REDIS);
    const prefix = `${run}:`;
    try {
      const before = await usedMemory(client);
      const storage = createRedisStorage({ options: REDIS }, { prefix });
      const engine = await runEngineOn(storage, 'user');
      await storage.close();
      const bytesPerTask = Math.round(((await usedMemory(client)) - before) / tasks);
      return {
        case: 'engine-redis',
        tasks,
        tasksPerSec: Math.round(tasks / engine.seconds),
        baseline: 'bullmq',
        baselineTasksPerSec: Math.round(tasks / baseline.seconds),
        ratio: ratio(baseline.seconds, engine.seconds),
        bytesPerTask,
        baselineBytesPerTask: baseline.bytesPerJob,
        concurrency: CONCURRENCY,
      };
    } finally {
      await deleteKeys(client, prefix);
      client.disconnect();
    }
  },
};

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
}
