import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from '../storage/children.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';

const redisUp = await redisAvailable();
const prefix = uniquePrefix('example-scale').replace(/:$/, '');

afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe.runIf(redisUp)('examples/scale-out', () => {
  it('an API process submits, two worker processes run the tasks, progress reaches the API, SIGTERM stops the workers cleanly', async () => {
    const env = { IMAGEGEN_PREFIX: prefix, REDIS_URL };
    const workers = [startChild('../../examples/scale-out/worker.ts', [], env), startChild('../../examples/scale-out/worker.ts', [], env)];
    try {
      await Promise.all(workers.map((w) => w.waitFor((l) => l.includes('ready'), 30_000)));
      const api = startChild('../../examples/scale-out/api.ts', [], env);
      const balance = await api.waitFor((l) => l.startsWith('balance'), 60_000);
      expect(balance).toBe('balance 15');
      // Progress of tasks run in the workers reached the API process through the relay.
      await api.waitFor((l) => /^progress [1-9]\d*%/.test(l), 1_000);
      expect(await api.exited).toBe(0);
      const completed = await Promise.all(
        workers.map((w) =>
          w
            .waitFor((l) => l.includes('completed'), 1_000)
            .then(
              () => 1,
              () => 0,
            ),
        ),
      );
      for (const w of workers) w.process.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
      // Both workers took part (each prints only the tasks it ran itself).
      expect(completed).toEqual([1, 1]);
    } finally {
      for (const w of workers) if (w.process.exitCode === null) w.process.kill('SIGKILL');
    }
  }, 90_000);
});
