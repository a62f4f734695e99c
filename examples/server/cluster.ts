import { Redis, type RedisOptions } from 'ioredis';
import { createBullMQDispatcher } from '../../src/adapters/dispatch/bullmq/index.js';
import { createRedisDispatcher } from '../../src/adapters/dispatch/redis/index.js';
import { createRedisEventRelay } from '../../src/adapters/events/redis/index.js';
import type { Logger } from '../../src/index.js';
import type { ClusterConfig } from './config.js';

/** ioredis options from a `redis://` or `rediss://` URL (the URL itself is never echoed: it may hold a password). */
export function redisOptionsFromUrl(text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError('REDIS_URL is not a URL (expected redis://host:port)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new RangeError(`REDIS_URL must start with redis:// or rediss:// (got ${url.protocol}//)`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RangeError('REDIS_URL: the database number after the host must be a whole number');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(url.port || 6379),
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A Redis client for storage, users and publishing events; its errors are logged, not thrown. */
export function openRedisClient(redisUrl: string): Redis {
  const redis = new Redis({ ...redisOptionsFromUrl(redisUrl), enableAutoPipelining: true });
  redis.on('error', (error: Error) => console.error(`[imagegen-kit] Redis: ${error.message}`));
  return redis;
}

/**
 * The engine ports every process of one deployment shares through Redis, whatever the storage: the
 * queue of the provider (BullMQ's, or the Redis queue with `IMAGEGEN_DISPATCHER=redis`; their own
 * connections, as BullMQ needs `maxRetriesPerRequest: null`) and the event channel (published on
 * `redis`, the process's shared client).
 */
export function clusterPorts(cluster: ClusterConfig, queueName: string, redis: Redis, logger?: Logger) {
  const common = {
    ...(logger ? { logger } : {}),
    connection: { ...redisOptionsFromUrl(cluster.redisUrl), maxRetriesPerRequest: null },
    queueName, // one queue per provider: its limits are the queue's
    ...(cluster.concurrency ? { concurrency: cluster.concurrency } : {}),
  };
  return {
    dispatcher:
      cluster.dispatcher === 'redis'
        ? createRedisDispatcher({
            ...common,
            prefix: `${cluster.prefix}queue:`,
            ...(cluster.leaseMs ? { lockDurationMs: cluster.leaseMs } : {}),
          })
        : createBullMQDispatcher({
            ...common,
            prefix: `${cluster.prefix}bull`,
            ...(cluster.leaseMs
              ? { lockDurationMs: cluster.leaseMs, stalledIntervalMs: Math.max(250, Math.round(cluster.leaseMs / 2)) }
              : {}),
          }),
    eventRelay: createRedisEventRelay({ connection: redis, channel: `${cluster.prefix}events`, ...(logger ? { logger } : {}) }),
    /** A task's hold on storage; a dead worker's tasks are taken over after it. */
    leaseMs: cluster.leaseMs ?? 15_000,
  };
}
