import { Redis } from 'ioredis';
import { createBullMQDispatcher } from '../../src/adapters/dispatch/bullmq/index.js';
import { createRedisEventRelay } from '../../src/adapters/events/redis/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createRedisRateLimiter } from '../../src/adapters/rate-limit/redis/index.js';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { createEngine, type EngineRole } from '../../src/index.js';

/**
 * Everything the processes of one deployment share: one Redis for storage, the BullMQ queue, the
 * event channel and the rate limit. Each process builds its engine here with its own role.
 */
export function clusterEngine(role: EngineRole) {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const address = { host: url.hostname, port: Number(url.port || 6379) };
  // BullMQ's workers need maxRetriesPerRequest: null; storage keeps ioredis's default, so a command fails while Redis is away.
  const connection = { ...address, maxRetriesPerRequest: null };
  const prefix = process.env.IMAGEGEN_PREFIX ?? 'scale-demo';
  const redis = new Redis(connection);
  // Storage on a connection of its own: the adapter then sends each turn's commands in a few writes.
  const storage = createRedisStorage({ options: address }, { prefix: `${prefix}:` });
  const engine = createEngine({
    role,
    storage,
    dispatcher: createBullMQDispatcher({
      connection,
      prefix: `${prefix}-bull`,
      queueName: 'offline', // one queue per provider: its limits are the queue's
      concurrency: 8, // per worker process
      globalConcurrency: 32, // all worker processes together
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
    }),
    eventRelay: createRedisEventRelay({ connection: redis, channel: `${prefix}:events` }),
    rateLimiter: createRedisRateLimiter({ connection: redis, capacity: 20, refillPerSecond: 1, prefix: `${prefix}:rl:` }),
    leaseMs: 10_000,
    // A real deployment shares an image store (S3, R2, disk behind a CDN) between processes; the
    // memory store keeps this example self-contained, so its URLs only work in the worker.
    imageStore: createMemoryImageStore(),
    provider: createOfflineProvider({ latencyMs: 800, pollsBeforeReady: 2 }),
    pollPolicy: { pollIntervalMs: 300 },
  });
  /** Closes what the engine does not: the storage's connection and the shared one. */
  const close = async () => {
    await storage.close();
    redis.disconnect();
  };
  return { engine, close };
}
