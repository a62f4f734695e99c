import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from '../storage/children.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from '../storage/redis-server.js';
import { clusterEngine, clusterNames } from './redis-setup.js';

const redisUp = await redisAvailable();
const prefix = uniquePrefix('cancel-procs');

afterAll(async () => {
  if (!redisUp) return;
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe.runIf(redisUp)('cancel across processes (api engine here, worker engine in another OS process, shared Redis)', () => {
  it('a cancel sent to the api process stops the task running on the worker within one lease renewal, without the event relay', async () => {
    const worker = startChild('../scale/processes/cancel-worker.ts', [prefix]);
    const api = clusterEngine(clusterNames(prefix), { role: 'api', engine: { eventRelay: undefined, leaseMs: 600 } });
    try {
      await worker.waitFor((line) => line === 'ready');
      await api.start();
      await api.credits.grant('ivy', 2, { idempotencyKey: 'g' });
      const { batch } = await api.batches.submit('ivy', { prompt: 'a fox', count: 1 });
      const running = await worker.waitFor((line) => line.startsWith(`running ${batch.batchId}:0 `));
      const requestId = running.split(' ')[2]!;

      const at = Date.now();
      const out = await api.batches.cancel('ivy', batch.batchId);
      expect(out).toMatchObject({ cancelled: [0], creditsRefunded: 0, batch: { status: 'completed', cancelledTasks: 1 } });
      await worker.waitFor((line) => line === `cancelled ${requestId}`, 5_000);
      // Renewals come every leaseMs / 3 = 200 ms; the rest is one read and the pipe.
      expect(Date.now() - at).toBeLessThan(600);

      expect(await api.storage.getTask(batch.batchId, 0)).toMatchObject({ status: 'cancelled', result: null });
      // A running task is not refunded by default: the provider may have been paid.
      expect(await api.credits.balance('ivy')).toBe(1);
    } finally {
      worker.process.kill('SIGTERM');
      await worker.exited;
      await api.stop({ graceMs: 0 });
      api.redis.disconnect();
    }
  }, 30_000);
});
