import { Redis, type RedisOptions } from 'ioredis';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider, type OfflineProviderOptions } from '../../src/adapters/providers/offline/index.js';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { createBullMQDispatcher, type BullMQDispatcherOptions } from '../../src/adapters/dispatch/bullmq/index.js';
import { createRedisEventRelay } from '../../src/adapters/events/redis/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import type { EngineOptions } from '../../src/core/options.js';
import { REDIS_URL } from '../storage/redis-server.js';

/** ioredis options from REDIS_URL, as BullMQ workers need them. */
export function redisOptions(): RedisOptions {
  const url = new URL(REDIS_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    maxRetriesPerRequest: null,
    ...(url.password ? { password: url.password } : {}),
  };
}

export interface ClusterNames {
  /** Storage key prefix. */
  prefix: string;
  /** BullMQ prefix (no `{`/`}`), queue name and relay channel. */
  bullPrefix: string;
  queueName: string;
  channel: string;
}

export function clusterNames(prefix: string): ClusterNames {
  return { prefix, bullPrefix: `${prefix}bull`, queueName: 'tasks', channel: `${prefix}events` };
}

/** One engine of a cluster: Redis storage, BullMQ dispatcher and Redis event relay. */
export function clusterEngine(
  names: ClusterNames,
  options: {
    role: 'api' | 'worker' | 'both';
    provider?: OfflineProviderOptions;
    dispatcher?: Partial<BullMQDispatcherOptions>;
    engine?: Partial<EngineOptions>;
  },
): Engine & { bull: ReturnType<typeof createBullMQDispatcher>; redis: Redis; provider: ReturnType<typeof createOfflineProvider> } {
  const redis = new Redis(redisOptions());
  const provider = createOfflineProvider({ size: 16, pollsBeforeReady: 1, ...options.provider });
  const dispatcher = createBullMQDispatcher({
    connection: redisOptions(),
    prefix: names.bullPrefix,
    queueName: names.queueName,
    concurrency: 10,
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
    logger: { warn() {}, error() {} },
    ...options.dispatcher,
  });
  const engine = createEngine({
    storage: createRedisStorage({ client: redis }, { prefix: names.prefix }),
    provider,
    imageStore: createMemoryImageStore(),
    dispatcher,
    role: options.role,
    eventRelay: createRedisEventRelay({ connection: redis, channel: names.channel }),
    pollPolicy: { pollIntervalMs: 10, maxPolls: 200 },
    leaseMs: 1_500,
    logger: { warn() {}, error() {} },
    ...options.engine,
  });
  return Object.assign(engine, { bull: dispatcher, redis, provider });
}
