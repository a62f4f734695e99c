import { Redis } from 'ioredis';
import { createRedisStorage } from 'imagegen-kit/adapters/storage/redis';
import type { BenchCase } from '../case.js';
import { redisInfoNumbers } from '../redis-info.js';
import { runBullmqBaseline, REDIS } from '../bullmq-baseline.js';
import { runEngineOn, warmUp } from '../engine-run.js';
import { alternating, ratio, ROUNDS } from '../measure.js';
import { BATCHES, BATCH_SIZE, CONCURRENCY } from '../shape.js';
import { deleteKeys } from '../../test/storage/redis-server.js';

/** The engine on Redis storage (a new key prefix each round) against BullMQ on the same Redis, same job shape. */
export const redisEngineCase: BenchCase = {
  name: 'engine-redis',
  needs: ['redis'],
  async run() {
    const tasks = BATCHES * BATCH_SIZE;
    const run = `bench-${process.pid}-${Date.now().toString(36)}`;
    await warmUp();
    const client = new Redis(REDIS);
    let bytesPerTask = 0;
    let baselineBytesPerTask = 0;
    let round = 0;
    try {
      const measured = await alternating(
        async () => {
          const baseline = await runBullmqBaseline(`${run}-bullmq-${round}`);
          baselineBytesPerTask = baseline.bytesPerJob;
          return baseline.seconds;
        },
        async () => {
          const before = await usedMemory(client);
          const storage = createRedisStorage({ options: REDIS }, { prefix: `${run}:${round++}:`, logger: null });
          const { seconds } = await runEngineOn(storage, 'user');
          await storage.close();
          bytesPerTask = Math.round(((await usedMemory(client)) - before) / tasks);
          return seconds;
        },
      );
      return {
        case: 'engine-redis',
        tasks,
        tasksPerSec: Math.round(tasks / measured.subjectSeconds),
        baseline: 'bullmq',
        baselineTasksPerSec: Math.round(tasks / measured.baselineSeconds),
        ratio: ratio(measured.baselineSeconds, measured.subjectSeconds),
        bytesPerTask,
        baselineBytesPerTask,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        roundRatios: measured.roundRatios,
      };
    } finally {
      await deleteKeys(client, `${run}:`);
      client.disconnect();
    }
  },
};

async function usedMemory(client: Redis): Promise<number> {
  return (await redisInfoNumbers(client, 'memory', ['used_memory']))[0]!;
}
