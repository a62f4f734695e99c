import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createFilesystemImageStore } from '../../src/adapters/image-stores/filesystem/index.js';
import { createGuardedFetcher } from '../../src/adapters/input/guarded-fetch/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { providerFromEnv } from '../../src/adapters/providers/from-env/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { createEngine, type Engine, type ProviderAdapter } from '../../src/index.js';
import type { ClusterConfig } from './config.js';

export interface ServerEngineOptions {
  /** Where users, images and (in one process) the SQLite storage live. @default './data' */
  dataDir?: string;
  /** @default the provider whose key is in the environment, else the offline one (real images, no key, a few seconds each) */
  provider?: ProviderAdapter;
  /** Join a deployment of several processes on Redis; unset = one process on SQLite. */
  cluster?: ClusterConfig | null;
}

/**
 * The reference server's engine, not yet started. In one process: SQLite storage and the
 * in-process dispatcher. With `cluster`: Redis storage, the BullMQ dispatcher and the Redis event
 * relay, in the given role. Either way the images are files under `{dataDir}/images`, which every
 * process of a deployment must share (one host, or one shared volume).
 */
export async function createServerEngine(options: ServerEngineOptions = {}) {
  const dataDir = resolve(options.dataDir ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const fromEnv = options.provider ? null : await providerFromEnv();
  // The offline provider answers at once; a little latency makes the progress bars worth watching.
  const provider =
    options.provider ?? (fromEnv!.name === 'offline' ? createOfflineProvider({ latencyMs: 2500, size: 768 }) : fromEnv!.provider);
  const providerName = options.provider?.name ?? fromEnv!.name;
  const cluster = options.cluster ?? null;
  const { close: closeConnections, ...ports } = cluster
    ? (await import('./cluster.js')).clusterPorts(cluster, providerName)
    : { storage: createSqliteStorage({ path: join(dataDir, 'imagegen.sqlite') }), close: async () => {} };
  const engine: Engine = createEngine({
    ...ports,
    role: cluster?.role ?? 'both',
    provider,
    imageStore: createFilesystemImageStore({ directory: join(dataDir, 'images') }),
    // https URLs as input_image, fetched without reaching private addresses.
    fetchInputImage: createGuardedFetcher(),
    ...(providerName === 'offline' ? { pollPolicy: { pollIntervalMs: 400 } } : {}),
  });
  return {
    engine,
    dataDir,
    providerName,
    role: engine.role,
    /** Closes storage and connections; call after `engine.stop()`. */
    async release() {
      await ports.storage.close();
      await closeConnections();
    },
  };
}
