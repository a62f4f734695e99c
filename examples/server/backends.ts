import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createFilesystemImageStore } from '../../src/adapters/image-stores/filesystem/index.js';
import { createS3ImageStore } from '../../src/adapters/image-stores/s3/index.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import type { ImageStore, StorageAdapter } from '../../src/index.js';
import type { ImagesConfig, StorageConfig } from './config.js';
import type { UserRecords } from './users/records.js';

/** The engine's storage and, in the same database, the users and tokens of the reference server. */
export interface StorageBackend {
  storage: StorageAdapter;
  /** Opens the users and tokens store (only processes that serve HTTP need it). */
  openUsers(): Promise<UserRecords>;
  /** Closes the storage and what the backend opened for it (after the engine has stopped). */
  close(): Promise<void>;
}

/**
 * Opens the configured storage: SQLite `{dataDir}/imagegen.sqlite`, PostgreSQL (a pool of this
 * process, shared by the engine and the users store) or Redis (the engine's storage on a connection
 * of its own, the users store on `redis`, the process's client).
 */
export async function openStorageBackend(config: StorageConfig, dataDir: string, redis: () => Redis): Promise<StorageBackend> {
  if (config.kind === 'sqlite') {
    const path = join(dataDir, 'imagegen.sqlite');
    const storage = createSqliteStorage({ path });
    return {
      storage,
      openUsers: async () => (await import('./users/sqlite.js')).openSqliteUserRecords(path),
      close: () => storage.close(),
    };
  }
  if (config.kind === 'postgres') {
    const [{ default: pg }, { createPostgresStorage }] = await Promise.all([
      import('pg'),
      import('../../src/adapters/storage/postgres/index.js'),
    ]);
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // A connection that drops while idle is discarded by the pool; the next query opens another.
    pool.on('error', (error) => console.error(`[imagegen-kit] PostgreSQL: ${error.message}`));
    let storage: StorageAdapter;
    try {
      storage = await createPostgresStorage({ pool, schema: config.schema });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return {
      storage,
      openUsers: async () => (await import('./users/postgres.js')).openPostgresUserRecords(pool, config.schema),
      async close() {
        await storage.close();
        await pool.end();
      },
    };
  }
  const [{ createRedisStorage }, { redisOptionsFromUrl }] = await Promise.all([
    import('../../src/adapters/storage/redis/index.js'),
    import('./cluster.js'),
  ]);
  // The engine's storage on a connection of its own, which the adapter coalesces (each turn's
  // commands leave in a few writes, never held for earlier replies): the engine ran 15,100–15,700
  // tasks/s on it against 8,300 on the process's auto-pipelined client. Users stay on that client.
  const storage = createRedisStorage({ options: redisOptionsFromUrl(config.redisUrl) }, { prefix: config.prefix });
  return {
    storage,
    openUsers: async () => (await import('./users/redis.js')).openRedisUserRecords(redis(), config.prefix),
    close: () => storage.close(),
  };
}

/** The configured image store: files under `{dataDir}/images`, or the S3-compatible bucket. */
export function openImageStore(config: ImagesConfig, dataDir: string): ImageStore {
  if (config.kind === 'fs') return createFilesystemImageStore({ directory: join(dataDir, 'images') });
  const { kind: _, ...options } = config;
  return createS3ImageStore(options);
}
