import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-server.js';

const available = await redisAvailable();

describe.runIf(available)('redis', () => {
  runStorageConformance({
    name: 'redis',
    create: async () => {
      const client = new Redis(REDIS_URL);
      const prefix = uniquePrefix('conformance');
      const storage = createRedisStorage({ client }, { prefix });
      return {
        storage,
        cleanup: async () => {
          await deleteKeys(client, prefix);
          await storage.close();
          client.disconnect();
        },
      };
    },
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
  });

  // The adapter's own connection coalesces its writes per turn of the event loop (writeCoalescer).
  runStorageConformance({
    name: 'redis (own connection)',
    create: async () => {
      const url = new URL(REDIS_URL);
      const client = new Redis(REDIS_URL);
      const prefix = uniquePrefix('conformance-own');
      const storage = createRedisStorage({ options: { host: url.hostname, port: Number(url.port || 6379) } }, { prefix });
      return {
        storage,
        cleanup: async () => {
          await deleteKeys(client, prefix);
          await storage.close();
          client.disconnect();
        },
      };
    },
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
  });
});
