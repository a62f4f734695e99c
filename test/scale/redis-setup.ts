import { Redis, type RedisOptions } from 'ioredis';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider, type OfflineProviderOptions } from '../../src/adapters/providers/offline/index.js';
import { createRedisStorage } from '../../src/adapters/storage/redis/index.js';
import { createBullMQDispatcher, type BullMQDispatcherOptions } from '../../src/adapters/dispatch/bullmq/index.js';
import { createRedisDispatcher } from '../../src/adapters/dispatch/redis/index.js';
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

/** The distributed dispatchers the cluster tests run on. */
export const DISPATCHERS = ['bullmq', 'redis'] as const;
export type DispatcherKind = (typeof DISPATCHERS)[number];

/** What the tests use of either dispatcher besides the port. */
export type ClusterQueue = Pick<ReturnType<typeof createBullMQDispatcher>, 'counts' | 'onIdle' | 'obliterate' | 'enqueue'>;

/**
 * One engine of a cluster: Redis storage, a distributed dispatcher (BullMQ unless `dispatcher.kind`
 * or `IGK_DISPATCHER` says `redis`) and Redis event relay.
 */
export function clusterEngine(
  names: ClusterNames,
  options: {
    role: 'api' | 'worker' | 'both';
    provider?: OfflineProviderOptions;
    dispatcher?: Partial<BullMQDispatcherOptions> & { kind?: DispatcherKind };
    engine?: Partial<EngineOptions>;
  },
): Engine & { queue: ClusterQueue; redis: Redis; provider: ReturnType<typeof createOfflineProvider> } {
  const redis = new Redis(redisOptions());
  const provider = createOfflineProvider({ size: 16, pollsBeforeReady: 1, ...options.provider });
  const { kind = (process.env.IGK_DISPATCHER as DispatcherKind | undefined) ?? 'bullmq', ...dispatcherOptions } = options.dispatcher ?? {};
  const { connection: _bullConnection, ...rest } = dispatcherOptions;
  const shared = { concurrency: 10, lockDurationMs: 2_000, logger: { warn() {}, error() {} }, ...rest };
  const dispatcher =
    kind === 'redis'
      ? createRedisDispatcher({
          connection: redisOptions(),
          prefix: names.bullPrefix,
          queueName: names.queueName,
          pollIntervalMs: 200,
          ...shared,
        })
      : createBullMQDispatcher({
          connection: redisOptions(),
          prefix: names.bullPrefix,
          queueName: names.queueName,
          stalledIntervalMs: 1_000,
          ...shared,
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
  return Object.assign(engine, { queue: dispatcher, redis, provider });
}
