import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { runStorageConformance } from '../../src/adapter-kit/index.js';
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-server.js';

const available = await redisAvailable();

/** The conformance suite on a client the test owns, or on a connection the adapter creates (and coalesces the writes of: writeCoalescer). */
const CONNECTIONS = [
  { name: 'redis', prefix: 'conformance', connect: (client: Redis) => ({ client }) },
  {
    name: 'redis (own connection)',
    prefix: 'conformance-own',
    connect: () => {
      const url = new URL(REDIS_URL);
      return { options: { host: url.hostname, port: Number(url.port || 6379) } };
    },
  },
] as const;

describe.runIf(available)('redis', () => {
  for (const connection of CONNECTIONS) {
    runStorageConformance({
      name: connection.name,
      create: async () => {
        const client = new Redis(REDIS_URL);
        const prefix = uniquePrefix(connection.prefix);
        const storage = createRedisStorage(connection.connect(client), { prefix });
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
  }
});
