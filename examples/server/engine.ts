import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { createGuardedFetcher } from '../../src/adapters/input/guarded-fetch/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { providerFromEnv } from '../../src/adapters/providers/from-env/index.js';
import { createEngine, type Engine, type EngineOptions, type Logger, type ProviderAdapter } from '../../src/index.js';
import { openImageStore, openStorageBackend } from './backends.js';
import type { ClusterConfig, ImagesConfig, StorageConfig } from './config.js';

export interface ServerEngineOptions {
  /** Where SQLite storage, filesystem images and the image URL secret (when not set) live. @default './data' */
  dataDir?: string;
  /** @default the provider whose key is in the environment, else the offline one (real images, no key, a few seconds each) */
  provider?: ProviderAdapter;
  /** Where credits, batches, records, users and tokens live. @default { kind: 'sqlite' } */
  storage?: StorageConfig;
  /** Where images live. @default { kind: 'fs' } */
  images?: ImagesConfig;
  /** Join a deployment of several processes (BullMQ queue and events on Redis); unset = one process. */
  cluster?: ClusterConfig | null;
  /** Where the engine, the provider's key pool and the queue write. @default the console (warnings and errors) */
  logger?: Logger;
  /** More engine options (e.g. `telemetry`), applied last. */
  engineOptions?: Partial<EngineOptions>;
}

/**
 * The reference server's engine, not yet started, on the configured storage (SQLite, PostgreSQL or
 * Redis) and image store (files or S3). Without `cluster`: the in-process dispatcher. With it: the
 * BullMQ dispatcher (or the Redis queue) and the Redis event relay, in the given role. With PostgreSQL or SQLite
 * storage, Redis carries only the queue and the events; with S3 images and a database server,
 * processes on separate hosts share nothing else.
 */
export async function createServerEngine(options: ServerEngineOptions = {}) {
  const dataDir = resolve(options.dataDir ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const storageConfig = options.storage ?? { kind: 'sqlite' };
  const fromEnv = options.provider ? null : await providerFromEnv(options.logger ? { logger: options.logger } : {});
  // The offline provider answers at once; a little latency makes the progress bars worth watching.
  const provider =
    options.provider ?? (fromEnv!.name === 'offline' ? createOfflineProvider({ latencyMs: 2500, size: 768 }) : fromEnv!.provider);
  const providerName = options.provider?.name ?? fromEnv!.name;
  const cluster = options.cluster ?? null;

  // One Redis client per process, opened only when something needs it (Redis storage, a role).
  let redis: Redis | null = null;
  const { openRedisClient, clusterPorts } = cluster || storageConfig.kind === 'redis' ? await import('./cluster.js') : {};
  const redisClient = () => (redis ??= openRedisClient!(storageConfig.kind === 'redis' ? storageConfig.redisUrl : cluster!.redisUrl));
  const closeRedis = async () => {
    await redis?.quit().catch(() => redis?.disconnect());
  };
  let backend: Awaited<ReturnType<typeof openStorageBackend>>;
  try {
    backend = await openStorageBackend(storageConfig, dataDir, redisClient);
  } catch (error) {
    await closeRedis();
    throw error;
  }
  const imageStore = openImageStore(options.images ?? { kind: 'fs' }, dataDir);
  const engine: Engine = createEngine({
    storage: backend.storage,
    ...(cluster ? clusterPorts!(cluster, providerName, redisClient(), options.logger) : {}),
    role: cluster?.role ?? 'both',
    provider,
    imageStore,
    // https URLs as input_image, fetched without reaching private addresses.
    fetchInputImage: createGuardedFetcher(),
    ...(providerName === 'offline' ? { pollPolicy: { pollIntervalMs: 400 } } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.engineOptions,
  });
  return {
    engine,
    dataDir,
    providerName,
    /** The provider as given or chosen (its key pool is shown to admins). */
    provider,
    role: engine.role,
    /** The users and tokens store, in the engine's database. */
    openUsers: backend.openUsers,
    /** Closes storage and connections; call after `engine.stop()`. */
    async release() {
      await backend.storage.close();
      await backend.close();
      await closeRedis();
    },
  };
}
